// File: adapters.h
// The customers service's PostgreSQL side: its migrations (versions from 100, embedded from
// services/customers/migrations) and the ports of a unit of work (customers as rows of the
// `customers` table, each change published as a customersapi.* event).
#pragma once

#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/use_cases.h"
#include "services/customers/application/application.h"

namespace customers::postgres {

std::vector<eda::pg::Migration> Migrations();

// Builds the ports of each unit of work. Thread-safe.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory();

}  // namespace customers::postgres
