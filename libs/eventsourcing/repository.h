// File: repository.h
// Loads (snapshot + later events) and saves (append with optimistic concurrency, snapshot every
// N versions) event-sourced aggregates over the event store, through codecs that turn domain
// events and snapshots into stored bytes and back (proto_codec.h derives both from protobuf
// messages). Services use it through store.h, which binds it to a unit of work.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/aggregate.h"
#include "libs/eventsourcing/event_store.h"
#include "libs/pg/transaction.h"

namespace eda::es {

template <typename E>
struct EventCodec {
  std::function<StoredEvent(const E&)> encode;
  // Decodes a stored event; older schema versions are upcast here.
  std::function<absl::StatusOr<E>(const StoredEvent&)> decode;
};

template <typename S>
struct SnapshotCodec {
  std::function<StoredSnapshot(const S&)> encode;
  std::function<absl::StatusOr<S>(const StoredSnapshot&)> decode;
};

template <typename A, typename = void>
struct HasSnapshot : std::false_type {};
template <typename A>
struct HasSnapshot<A, std::void_t<typename A::Snapshot>> : std::true_type {};

struct RepositoryOptions {
  int snapshot_every = 0;  // take a snapshot when a save crosses a multiple of N (0: never)
  // The noun of NotFound messages ("store" -> "store <id> not found"); A::kType when empty.
  std::string noun;
  // Names events and snapshots were stored under before, and the names they load as now (the
  // protobuf codecs' upcast by name; a payload's layout is kept by its field numbers).
  std::map<std::string, std::string> legacy_names;
};

// Loads and saves aggregates of type A (derived from Aggregate<A::Event>, constructible from its
// id, with a static kType; with a Snapshot type, also TakeSnapshot() and Restore()).
// Thread-safe (stateless apart from the codecs).
template <typename A>
class Repository {
 public:
  using E = typename A::Event;

  explicit Repository(EventCodec<E> events, RepositoryOptions options = {})
      : events_(std::move(events)), options_(std::move(options)) {}
  template <typename S = typename A::Snapshot>
  Repository(EventCodec<E> events, SnapshotCodec<S> snapshots, RepositoryOptions options)
      : events_(std::move(events)),
        snapshots_(std::move(snapshots)),
        options_(std::move(options)) {}

  // Errors: NotFound when the aggregate has no events; decoding errors (Internal/DataLoss).
  absl::StatusOr<A> Load(pg::Transaction& tx, const std::string& id) const {
    A aggregate(id);
    std::vector<StoredEvent> stored;
    bool loaded = false;
    if constexpr (HasSnapshot<A>::value) {
      if (snapshots_.has_value() && options_.snapshot_every > 0) {
        EDA_ASSIGN_OR_RETURN(StoredStream stream, LoadStream(tx, id, A::kType));  // one round trip
        if (stream.snapshot.has_value()) {
          EDA_ASSIGN_OR_RETURN(auto state, snapshots_->decode(*stream.snapshot));
          aggregate.Restore(state);
          AggregateAccess::SetVersion(aggregate, stream.snapshot->stream_version);
        }
        stored = std::move(stream.events);
        loaded = true;
      }
    }
    if (!loaded) {
      EDA_ASSIGN_OR_RETURN(stored, LoadEvents(tx, id, A::kType, 0));
    }
    for (const StoredEvent& s : stored) {
      absl::StatusOr<E> e = events_.decode(s);
      if (!e.ok()) {
        return Annotate(e.status(), absl::StrCat(A::kType, " ", id, " version ", s.stream_version));
      }
      AggregateAccess::Replay(aggregate, *e, s.stream_version);
    }
    if (aggregate.version() == 0) {
      return absl::NotFoundError(
          absl::StrCat(options_.noun.empty() ? A::kType : options_.noun, " ", id, " not found"));
    }
    return aggregate;
  }

  // Appends the pending events, snapshots when due, and clears them. Errors: Aborted on a
  // concurrent change (retry the unit of work).
  absl::Status Save(pg::Transaction& tx, A& aggregate) const {
    return Save(Immediate(tx), aggregate);
  }
  // The same through `write`: with a deferring writer the events, the snapshot and the caller's
  // other writes go to the database in the commit's round trip, and a conflict fails the commit.
  absl::Status Save(const Writer& write, A& aggregate) const {
    if (aggregate.pending().empty()) return absl::OkStatus();
    std::vector<StoredEvent> stored;
    stored.reserve(aggregate.pending().size());
    for (const E& e : aggregate.pending()) stored.push_back(events_.encode(e));
    const int before = aggregate.version();
    EDA_RETURN_IF_ERROR(AppendEvents(write, aggregate.id(), A::kType, before, stored));
    const int after = before + static_cast<int>(stored.size());
    AggregateAccess::SetVersion(aggregate, after);
    AggregateAccess::TakePending(aggregate);
    if constexpr (HasSnapshot<A>::value) {
      const int n = options_.snapshot_every;
      if (snapshots_.has_value() && n > 0 && after / n > before / n) {
        StoredSnapshot snap = snapshots_->encode(aggregate.TakeSnapshot());
        snap.stream_version = after;
        EDA_RETURN_IF_ERROR(SaveSnapshot(write, aggregate.id(), A::kType, snap));
      }
    }
    return absl::OkStatus();
  }

 private:
  template <typename T, typename = void>
  struct SnapshotOf {
    using type = int;
  };
  template <typename T>
  struct SnapshotOf<T, std::void_t<typename T::Snapshot>> {
    using type = typename T::Snapshot;
  };

  EventCodec<E> events_;
  std::optional<SnapshotCodec<typename SnapshotOf<A>::type>> snapshots_;
  RepositoryOptions options_;
};

}  // namespace eda::es
