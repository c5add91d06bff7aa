// File: aggregate.h
// Event-sourced aggregates: the base class a domain aggregate derives from, the repository that
// loads (snapshot + later events) and saves (append with optimistic concurrency, snapshot every
// N versions) it, and the in-process dispatcher that runs domain-event handlers (projections,
// domain -> integration event translation) in the same transaction.
//
// The domain stays plain C++: an aggregate records domain events of its own type E (typically a
// std::variant of structs); an EventCodec<E>, written in the service's adapters, turns them into
// StoredEvents (name, schema version, bytes) and back, and is where older versions are upcast.
//
//   class Store : public es::Aggregate<StoreEvent> {
//    public:
//     static constexpr char kType[] = "stores.Store";
//     using Snapshot = StoreSnapshot;                 // optional, with TakeSnapshot/Restore
//     explicit Store(std::string id) : Aggregate(std::move(id)) {}
//     absl::Status Rebrand(std::string name) { ...checks...; Raise(StoreRebranded{name}); ... }
//    private:
//     void When(const StoreEvent& e) override { ...apply... }
//   };
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/event_store.h"
#include "libs/pg/transaction.h"

namespace eda::es {

template <typename E>
class Aggregate {
 public:
  using Event = E;
  virtual ~Aggregate() = default;

  const std::string& id() const { return id_; }
  // The last stored version (0 for an aggregate never saved).
  int version() const { return version_; }
  // Events raised since the last load or save.
  const std::vector<E>& pending() const { return pending_; }

 protected:
  explicit Aggregate(std::string id) : id_(std::move(id)) {}
  Aggregate(const Aggregate&) = default;
  Aggregate(Aggregate&&) noexcept = default;
  Aggregate& operator=(const Aggregate&) = default;
  Aggregate& operator=(Aggregate&&) noexcept = default;

  // Applies `event` to the state and keeps it for the next save. Validate before raising.
  void Raise(E event) {
    When(event);
    pending_.push_back(std::move(event));
  }

  // Applies one event to the state. Must not fail: events are facts.
  virtual void When(const E& event) = 0;

 private:
  template <typename A>
  friend class Repository;

  std::string id_;
  int version_ = 0;
  std::vector<E> pending_;
};

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

// Runs domain-event handlers in registration order inside the caller's transaction; the first
// error stops the chain and fails the unit of work.
template <typename E, typename Context>
class EventDispatcher {
 public:
  using Handler = std::function<absl::Status(Context&, const std::string& aggregate_id, const E&)>;
  void Subscribe(Handler handler) { handlers_.push_back(std::move(handler)); }
  absl::Status Publish(Context& ctx, const std::string& aggregate_id,
                       const std::vector<E>& events) const {
    for (const E& e : events) {
      for (const Handler& h : handlers_) EDA_RETURN_IF_ERROR(h(ctx, aggregate_id, e));
    }
    return absl::OkStatus();
  }

 private:
  std::vector<Handler> handlers_;
};

struct RepositoryOptions {
  int snapshot_every = 0;  // take a snapshot when a save crosses a multiple of N (0: never)
};

// Loads and saves aggregates of type A (derived from Aggregate<A::Event>, constructible from its
// id, with a static kType). Thread-safe (stateless apart from the codecs).
template <typename A>
class Repository {
 public:
  using E = typename A::Event;

  Repository(EventCodec<E> events, RepositoryOptions options = {})
      : events_(std::move(events)), options_(options) {}
  template <typename S = typename A::Snapshot>
  Repository(EventCodec<E> events, SnapshotCodec<S> snapshots, RepositoryOptions options)
      : events_(std::move(events)), snapshots_(std::move(snapshots)), options_(options) {}

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
          aggregate.version_ = stream.snapshot->stream_version;
        }
        stored = std::move(stream.events);
        loaded = true;
      }
    }
    if (!loaded) {
      EDA_ASSIGN_OR_RETURN(stored, LoadEvents(tx, id, A::kType, 0));
    }
    Aggregate<E>& base = aggregate;  // When() may be private in A
    for (const StoredEvent& s : stored) {
      absl::StatusOr<E> e = events_.decode(s);
      if (!e.ok()) {
        return Annotate(e.status(), absl::StrCat(A::kType, " ", id, " version ", s.stream_version));
      }
      base.When(*e);
      aggregate.version_ = s.stream_version;
    }
    if (aggregate.version_ == 0) {
      return absl::NotFoundError(absl::StrCat(A::kType, " ", id, " not found"));
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
    if (aggregate.pending_.empty()) return absl::OkStatus();
    std::vector<StoredEvent> stored;
    stored.reserve(aggregate.pending_.size());
    for (const E& e : aggregate.pending_) stored.push_back(events_.encode(e));
    const int before = aggregate.version_;
    EDA_RETURN_IF_ERROR(AppendEvents(write, aggregate.id_, A::kType, before, stored));
    aggregate.version_ = before + static_cast<int>(stored.size());
    aggregate.pending_.clear();
    if constexpr (HasSnapshot<A>::value) {
      const int n = options_.snapshot_every;
      if (snapshots_.has_value() && n > 0 && aggregate.version_ / n > before / n) {
        StoredSnapshot snap = snapshots_->encode(aggregate.TakeSnapshot());
        snap.stream_version = aggregate.version_;
        EDA_RETURN_IF_ERROR(SaveSnapshot(write, aggregate.id_, A::kType, snap));
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
