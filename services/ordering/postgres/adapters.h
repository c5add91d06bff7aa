// File: adapters.h
// The ordering service's PostgreSQL side: its migrations, and the ports of a unit of work
// (orders event-sourced with a snapshot every 3 versions).
#pragma once

#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/use_cases.h"
#include "services/ordering/application/application.h"

namespace ordering::postgres {

std::vector<eda::pg::Migration> Migrations();

// Builds the ports of each unit of work. Thread-safe.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory();

}  // namespace ordering::postgres
