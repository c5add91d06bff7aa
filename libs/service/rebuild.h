// File: rebuild.h
// Rebuilding a read model from the retained stream that feeds it, while the service keeps
// serving: the model's table is built aside (schema `rebuild`, the same columns and indexes),
// from every message of its durable's stream and filter replayed through the model's own
// handler, then swapped in within one transaction that first takes the live table's lock and
// applies what arrived meanwhile. The live consumer goes on; it applies its tail again after the
// swap, in order, which a projection's idempotent statements absorb.
//
//   rt->AddReadModel({.name = "orders", .table = "orders", .durable = "search-orders",
//                     .apply = search::handlers::OrderProjection(app)});
//   // mallctl rebuild search orders  ->  adminpb.AdminService.RebuildReadModel
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "libs/outbox/inbox.h"
#include "libs/pg/pool.h"

namespace eda::service {

struct ReadModel {
  std::string name;     // as operators name it ("orders")
  std::string table;    // the one table it writes
  std::string durable;  // the durable whose stream and filter feed it (a `consume` line)
  // Applies one message to the table named `table` as found on the search path; it sees each
  // message once, in stream order, with no inbox and no ordering guard.
  outbox::MessageHandler apply;
};

struct RebuildProgress {
  std::string phase;    // "replaying", "swapping", "done"
  int64_t applied = 0;  // messages applied so far
  int64_t total = 0;    // messages in the stream when the rebuild started (and since)
};

// Rebuilds `model` from `feed` (its durable's stream and filter), calling `progress` after each
// batch and phase. Concurrent rebuilds of one model are refused (Aborted). Errors: the database's
// and NATS's, annotated; a message the model refuses fails the rebuild (nothing is swapped).
absl::Status RebuildReadModel(pg::Pool& pool, messaging::Connection& nats,
                              const messaging::ConsumerSpec& feed, const ReadModel& model,
                              const std::function<void(const RebuildProgress&)>& progress);

}  // namespace eda::service
