// File: handlers.h
// The messages search consumes, each durable's messages applied in their aggregate's order: the
// customers', stores' and products' events keep the name caches (search-customers,
// search-stores, search-products), and ordering's events the orders read model
// (search-orders: OrderCreated adds the order as New; Approved, Rejected, Readied, Canceled and
// Completed set its status).
#pragma once

#include <vector>

#include "libs/outbox/inbox.h"
#include "libs/service/rebuild.h"
#include "libs/service/use_cases.h"
#include "services/search/application/application.h"

namespace search::handlers {

using UseCases = eda::service::UseCases<application::Ports>;

// `app` must outlive the handlers.
eda::outbox::MessageHandler CustomerEvents(const UseCases& app);
eda::outbox::MessageHandler StoreEvents(const UseCases& app);
eda::outbox::MessageHandler ProductEvents(const UseCases& app);
eda::outbox::MessageHandler OrderEvents(const UseCases& app);

// What `mallctl rebuild search <name>` rebuilds: orders, customers, stores, products (the
// handlers above without their ordering guard, the replay being in stream order).
std::vector<eda::service::ReadModel> ReadModels(const UseCases& app);

}  // namespace search::handlers
