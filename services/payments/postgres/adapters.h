// File: adapters.h
// The payments service's PostgreSQL side: its migrations, and the ports of a unit of work
// (payments and invoices as rows of their tables, locked while a unit of work changes them).
#pragma once

#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/use_cases.h"
#include "services/payments/application/application.h"

namespace payments::postgres {

std::vector<eda::pg::Migration> Migrations();

// Builds the ports of each unit of work. Thread-safe.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory();

}  // namespace payments::postgres
