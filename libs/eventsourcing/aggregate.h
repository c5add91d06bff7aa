// File: aggregate.h
// The domain side of aggregates, for both persistence styles (event-sourced and state-stored):
// the base class that records, applies and versions domain events, and the repository port a
// use case loads and saves aggregates through. Plain C++ and absl::Status only, so a service's
// domain library links no infrastructure; the implementations of the port live in
// libs/eventsourcing/store.h.
//
//   class Store final : public eda::es::Aggregate<StoreEvent> {
//    public:
//     static constexpr char kType[] = "stores.Store";
//     explicit Store(std::string id) : Aggregate(std::move(id)) {}
//     absl::Status Rebrand(std::string name) { ...checks...; Raise(...); return OkStatus(); }
//    private:
//     void When(const StoreEvent& e) override { ...apply... }
//   };
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace eda::es {

template <typename E>
class Aggregate {
 public:
  using Event = E;
  virtual ~Aggregate() = default;

  const std::string& id() const { return id_; }
  // The last stored version (0 for an aggregate never saved; state-stored aggregates keep 0).
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
  friend struct AggregateAccess;

  std::string id_;
  int version_ = 0;
  std::vector<E> pending_;
};

// For the repositories only (replaying stored events, marking pending ones saved); domain code
// never needs it.
struct AggregateAccess {
  template <typename A>
  static void Replay(A& aggregate, const typename A::Event& event, int version) {
    Aggregate<typename A::Event>& base = aggregate;
    base.When(event);
    base.version_ = version;
  }
  template <typename A>
  static void SetVersion(A& aggregate, int version) {
    static_cast<Aggregate<typename A::Event>&>(aggregate).version_ = version;
  }
  // Clears the pending events and returns them.
  template <typename A>
  static std::vector<typename A::Event> TakePending(A& aggregate) {
    return std::exchange(static_cast<Aggregate<typename A::Event>&>(aggregate).pending_, {});
  }
};

// Where aggregates of type A live, as a use case sees them within one unit of work.
template <typename A>
class AggregateRepository {
 public:
  virtual ~AggregateRepository() = default;
  // Errors: NotFound "<noun> <id> not found" when nothing has that id; infrastructure errors.
  virtual absl::StatusOr<A> Load(const std::string& id) = 0;
  // Stores the pending events (or the new state) with what they change (read models, outgoing
  // integration messages) in the same unit of work. Errors: Aborted on a concurrent change.
  virtual absl::Status Save(A& aggregate) = 0;
};

// Loads aggregate `id`, applies `change` (a callable taking A& and returning absl::Status) and
// saves it: the shape of most commands. Returns the first error.
template <typename A, typename Fn>
absl::Status Change(AggregateRepository<A>& repository, const std::string& id, Fn&& change) {
  absl::StatusOr<A> aggregate = repository.Load(id);
  if (!aggregate.ok()) return aggregate.status();
  if (absl::Status s = change(*aggregate); !s.ok()) return s;
  return repository.Save(*aggregate);
}

}  // namespace eda::es
