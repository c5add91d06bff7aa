// File: handlers.h
// What depot consumes:
//   storesapi.Store* (depot-stores), storesapi.Product* (depot-products)  -> its catalog, in
//                                                                           each aggregate's order
//   depotapi.CreateShoppingListCommand  -> depotapi.CreatedShoppingListReply {id}
//   depotapi.CancelShoppingListCommand  -> am.Success / am.Failure (by list or order id;
//                                          a canceled list is a success)
//   depotapi.InitiateShoppingCommand    -> am.Success / am.Failure (pending -> available)
// Other names on those subjects are acknowledged without effect.
#pragma once

#include "libs/outbox/inbox.h"
#include "libs/service/rebuild.h"
#include "libs/service/use_cases.h"
#include "services/depot/application/application.h"

namespace depot::handlers {

using UseCases = eda::service::UseCases<application::Ports>;

// `app` must outlive the handlers.
eda::outbox::MessageHandler StoreEvents(const UseCases& app);
eda::outbox::MessageHandler ProductEvents(const UseCases& app);
eda::outbox::MessageHandler Commands(const UseCases& app);
// The catalog's tables as read models, rebuilt from the stores' streams (mallctl rebuild depot).
std::vector<eda::service::ReadModel> ReadModels(const UseCases& app);

}  // namespace depot::handlers
