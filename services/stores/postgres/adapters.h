// File: adapters.h
// The stores service's PostgreSQL side: its migrations, and the ports of a unit of work (stores
// and products event-sourced with snapshots every 3 versions, their read models projected in the
// same transaction, and the read-model queries).
#pragma once

#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/use_cases.h"
#include "services/stores/application/application.h"

namespace stores::postgres {

std::vector<eda::pg::Migration> Migrations();

// Builds the ports of each unit of work. Thread-safe.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory();

}  // namespace stores::postgres
