// File: handlers.h
// What cosec consumes: OrderCreated starts a CreateOrder saga (durable cosec-ordering); the
// replies go to the orchestrator itself (durable cosec-replies, Orchestrator::ReplyHandler).
#pragma once

#include "libs/outbox/inbox.h"
#include "libs/saga/saga.h"
#include "services/cosec/domain/cosec_domain.pb.h"

namespace cosec::handlers {

using CreateOrder = eda::saga::Orchestrator<domain::CreateOrderData>;

// ordersapi.OrderCreated starts the order's saga (once per order, whatever its message id);
// the other order events are acknowledged and dropped.
eda::outbox::MessageHandler OrderEvents(CreateOrder& saga);

}  // namespace cosec::handlers
