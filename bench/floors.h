// File: floors.h
// The raw floors every benchmark reports beside its own figures: what PostgreSQL and JetStream
// do on this machine, right now, with no code of ours in between.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace eda::bench {

struct PgFloor {
  double commits_per_s = 0;  // single-row INSERT, one transaction each (synchronous commit)
  double p50_ms = 0;
  int clients = 0;
};

// `clients` connections inserting one row per transaction for `duration`, against `dsn`.
absl::StatusOr<PgFloor> MeasurePgCommits(const std::string& dsn, int clients,
                                         absl::Duration duration);

struct JsFloor {
  double publish_async_msgs_per_s = 0;  // 256-byte messages, 256 acks pending at most
  double fetch_ack_msgs_per_s = 0;      // pull fetch in batches of 100, each message acked
};

// Publishes `messages` to a fresh stream on `nats_url`, then reads them back through a durable.
absl::StatusOr<JsFloor> MeasureJetStream(const std::string& nats_url, int messages);

}  // namespace eda::bench
