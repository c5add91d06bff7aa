// File: adapters.h
// The notifications service's database side: the customers cache (with the customers service
// as its fallback), the record of notices, and the factory of the use cases' ports.
#pragma once

#include <vector>

#include "libs/pg/migrations.h"
#include "libs/service/peers.h"
#include "libs/service/use_cases.h"
#include "services/notifications/application/application.h"

namespace notifications::postgres {

// migrations/*.sql, embedded at build time.
std::vector<eda::pg::Migration> Migrations();

// `sender` must outlive the factory.
eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer customers,
                                                                      application::Sender& sender);

}  // namespace notifications::postgres
