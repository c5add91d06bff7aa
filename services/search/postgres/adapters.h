// File: adapters.h
// The search service's database side: the caches of customers, stores and products (asking
// their services on a miss), the orders read model, and the factory of the use cases' ports.
#pragma once

#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/peers.h"
#include "libs/service/use_cases.h"
#include "services/search/application/application.h"

namespace search::postgres {

// migrations/*.sql, embedded at build time.
std::vector<eda::pg::Migration> Migrations();

// Builds the ports of each unit of work; `customers` and `stores` answer the caches' misses.
// Thread-safe.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer customers,
                                                                      eda::service::Peer stores);

}  // namespace search::postgres
