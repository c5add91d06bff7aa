// File: handlers.h
// What payments consumes:
//   ordersapi.OrderReadied (payment-orders)     -> the order's invoice (id = order id, amount =
//                                                  total), once however often it is delivered
//   paymentsapi.ConfirmPayment / ReleasePayment (payment-commands), answered am.Success /
//                                                  am.Failure
// Other names on those subjects are acknowledged without effect.
#pragma once

#include "libs/outbox/inbox.h"
#include "libs/service/use_cases.h"
#include "services/payments/application/application.h"

namespace payments::handlers {

using UseCases = eda::service::UseCases<application::Ports>;

// `app` must outlive the handlers.
eda::outbox::MessageHandler OrderEvents(const UseCases& app);
eda::outbox::MessageHandler Commands(const UseCases& app);

}  // namespace payments::handlers
