// File: adapters.h
// The search service's database side: the caches of customers, stores and products (asking
// their services on a miss), the orders read model, and the factory of the use cases' ports.
#pragma once

#include <string>
#include <vector>

#include "libs/pg/connection.h"
#include "libs/pg/migrations.h"
#include "libs/service/peers.h"
#include "libs/service/use_cases.h"
#include "services/search/application/application.h"

namespace search::postgres {

// migrations/*.sql, embedded at build time.
std::vector<eda::pg::Migration> Migrations();

// The statement the orders read model in `table` runs for a search: its SQL and parameters
// (exposed so that bench/search_bench can show the plans PostgreSQL chooses for it).
struct SearchStatement {
  std::string sql;
  std::vector<eda::pg::Param> params;
};
SearchStatement SearchStatementOf(const application::Orders::Query& query,
                                  const std::string& table);

// Builds the ports of each unit of work; `customers` and `stores` answer the caches' misses.
// Thread-safe.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer customers,
                                                                      eda::service::Peer stores);

}  // namespace search::postgres
