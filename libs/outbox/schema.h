// File: schema.h
// The platform's tables in every service database, as migrations for pg::Migrate. Platform
// migrations use versions 1-99; a service numbers its own from 100.
//
//   outbox (seq, id, name, subject, data, sent_at, published_at)  messages waiting for the relay
//   inbox  (consumer, id, name, subject, received_at)             messages already handled
//   events, snapshots                                              the event store
#pragma once

#include <vector>

#include "libs/pg/migrations.h"

namespace eda::outbox {

std::vector<pg::Migration> PlatformMigrations();

}  // namespace eda::outbox
