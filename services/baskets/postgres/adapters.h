// File: adapters.h
// The baskets service's PostgreSQL side: its migrations, and the ports of a unit of work
// (baskets event-sourced with a snapshot every 3 versions; the stores/products caches, which
// ask the stores service on a miss).
#pragma once

#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/peers.h"
#include "libs/service/use_cases.h"
#include "services/baskets/application/application.h"

namespace baskets::postgres {

std::vector<eda::pg::Migration> Migrations();

// Builds the ports of each unit of work; `stores` answers the catalog's misses. Thread-safe.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer stores);

}  // namespace baskets::postgres
