// File: event_store.h
// The PostgreSQL event store (tables `events` and `snapshots`, outbox/schema.h): append with
// optimistic concurrency, load a stream after a version, and one snapshot per stream.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/pg/transaction.h"

namespace eda::es {

// An event as stored: the domain's codec turns domain events into these and back.
struct StoredEvent {
  std::string id;       // event id (UUID); filled by Append when empty
  std::string name;     // e.g. "stores.StoreCreated"
  int version = 1;      // payload schema version, for upcasting
  std::string payload;  // bytes (protobuf in the services)
  std::map<std::string, std::string> metadata;
  absl::Time occurred_at = absl::UnixEpoch();
  int stream_version = 0;  // position in the stream, set by the store
};

struct StoredSnapshot {
  std::string name;
  int version = 1;
  std::string payload;
  int stream_version = 0;  // the stream version the snapshot reflects
};

// Where the store's writes go: run at once in a transaction (Immediate), or queued to go out with
// the COMMIT in its round trip (outbox::UnitOfWork::Deferred). A statement's error passes through
// its on_error wherever it surfaces.
using Writer = std::function<absl::Status(pg::Connection::Statement)>;
Writer Immediate(pg::Transaction& tx);

// Appends `events` to stream (id, type) as versions expected_version+1, +2, ... in one
// statement. Errors: Aborted when another writer appended first (the caller's transaction is
// then aborted too: retry the whole unit of work); database errors otherwise. With a deferring
// writer, the error comes from the commit.
absl::Status AppendEvents(const Writer& write, const std::string& stream_id,
                          const std::string& stream_type, int expected_version,
                          std::vector<StoredEvent>& events);
inline absl::Status AppendEvents(pg::Transaction& tx, const std::string& stream_id,
                                 const std::string& stream_type, int expected_version,
                                 std::vector<StoredEvent>& events) {
  return AppendEvents(Immediate(tx), stream_id, stream_type, expected_version, events);
}

// Events of the stream with version > after_version, in order.
absl::StatusOr<std::vector<StoredEvent>> LoadEvents(pg::Transaction& tx,
                                                    const std::string& stream_id,
                                                    const std::string& stream_type,
                                                    int after_version);

absl::StatusOr<std::optional<StoredSnapshot>> LoadSnapshot(pg::Transaction& tx,
                                                           const std::string& stream_id,
                                                           const std::string& stream_type);

// The stream's snapshot (if any) and the events after it, in one round trip.
struct StoredStream {
  std::optional<StoredSnapshot> snapshot;
  std::vector<StoredEvent> events;
};
absl::StatusOr<StoredStream> LoadStream(pg::Transaction& tx, const std::string& stream_id,
                                        const std::string& stream_type);
// Inserts or replaces the stream's snapshot.
absl::Status SaveSnapshot(const Writer& write, const std::string& stream_id,
                          const std::string& stream_type, const StoredSnapshot& snapshot);
inline absl::Status SaveSnapshot(pg::Transaction& tx, const std::string& stream_id,
                                 const std::string& stream_type, const StoredSnapshot& snapshot) {
  return SaveSnapshot(Immediate(tx), stream_id, stream_type, snapshot);
}

}  // namespace eda::es
