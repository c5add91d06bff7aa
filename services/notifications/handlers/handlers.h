// File: handlers.h
// The messages notifications consumes: the customers' events keep its customers cache
// (notification-customers, in each customer's order), and the order events it tells customers
// about (notification-orders: OrderCreated, OrderReadied, OrderCanceled, OrderCompleted), each
// under its message id as the SMS's idempotency key.
#pragma once

#include <string>
#include <vector>

#include "libs/outbox/inbox.h"
#include "libs/service/rebuild.h"
#include "libs/service/use_cases.h"
#include "services/notifications/application/application.h"

namespace notifications::handlers {

using UseCases = eda::service::UseCases<application::Ports>;

// `app` must outlive the handlers.
eda::outbox::MessageHandler CustomerEvents(const UseCases& app);
eda::outbox::MessageHandler OrderEvents(const UseCases& app);
// What `mallctl rebuild notifications customers` rebuilds: the customers cache.
std::vector<eda::service::ReadModel> ReadModels(const UseCases& app);
// The order events OrderEvents acts on (ConsumeOptions::names).
std::vector<std::string> OrderEventNames();

}  // namespace notifications::handlers
