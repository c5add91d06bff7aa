// File: adapters.h
// The stores service's PostgreSQL side: its migrations, and the ports of a unit of work (stores
// and products event-sourced with snapshots every 3 versions, their read models projected in the
// same transaction, and the read-model queries).
#pragma once

#include <vector>

#include "libs/eventsourcing/store.h"
#include "libs/pg/migrations.h"
#include "libs/service/use_cases.h"
#include "services/stores/application/application.h"

namespace stores::postgres {

std::vector<eda::pg::Migration> Migrations();

// Constant after construction; thread-safe.
class Adapters final {
 public:
  Adapters();
  eda::service::UseCases<application::Ports>::PortsFactory Factory() const;

 private:
  eda::es::EventSourcedStore<domain::Store> stores_;
  eda::es::EventSourcedStore<domain::Product> products_;
};

}  // namespace stores::postgres
