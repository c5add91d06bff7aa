// File: stores.h
// The stores context's events that keep the baskets' catalog: storesapi.Store* on
// mallbots.stores.events.Store (durable baskets-stores) and storesapi.Product* on
// mallbots.stores.events.Product (baskets-products), each applied in its aggregate's order
// (a price change after the product's addition). Other names are acknowledged without effect.
#pragma once

#include "libs/outbox/inbox.h"
#include "libs/service/rebuild.h"
#include "libs/service/use_cases.h"
#include "services/baskets/application/application.h"

namespace baskets::handlers {

// `app` must outlive the handlers.
eda::outbox::MessageHandler StoreEvents(const eda::service::UseCases<application::Ports>& app);
eda::outbox::MessageHandler ProductEvents(const eda::service::UseCases<application::Ports>& app);
// The stores cache as a read model, rebuilt from the stores' stream (mallctl rebuild baskets
// stores); not the products cache, whose price changes are deltas (see stores.cc).
std::vector<eda::service::ReadModel> ReadModels(
    const eda::service::UseCases<application::Ports>& app);

}  // namespace baskets::handlers
