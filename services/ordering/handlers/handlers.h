// File: handlers.h
// What ordering consumes:
//   basketsapi.BasketCheckedOut (ordering-baskets)    -> the basket's order (id = basket id),
//                                                        once however often it is delivered
//   depotapi.ShoppingListCompleted (ordering-depot)   -> the order is ready
//   paymentsapi.InvoicePaid (ordering-payments)       -> the order is completed with the invoice
//   ordersapi.RejectOrder / ApproveOrder (ordering-commands), answered am.Success / am.Failure
// Other names on those subjects are acknowledged without effect.
#pragma once

#include "libs/outbox/inbox.h"
#include "libs/service/use_cases.h"
#include "services/ordering/application/application.h"

namespace ordering::handlers {

using UseCases = eda::service::UseCases<application::Ports>;

// `app` must outlive the handlers.
eda::outbox::MessageHandler BasketEvents(const UseCases& app);
eda::outbox::MessageHandler DepotEvents(const UseCases& app);
eda::outbox::MessageHandler PaymentEvents(const UseCases& app);
eda::outbox::MessageHandler Commands(const UseCases& app);

}  // namespace ordering::handlers
