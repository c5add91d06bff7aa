// File: adapters.h
// The depot service's PostgreSQL side: its migrations, and the ports of a unit of work
// (shopping lists as rows, locked while a unit of work changes them; the stores/products
// caches, which ask the stores service on a miss; the lists' queries).
#pragma once

#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/peers.h"
#include "libs/service/use_cases.h"
#include "services/depot/application/application.h"

namespace depot::postgres {

std::vector<eda::pg::Migration> Migrations();

// Builds the ports of each unit of work; `stores` answers the catalog's misses. Thread-safe.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer stores);

}  // namespace depot::postgres
