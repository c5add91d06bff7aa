// File: store.h
// The domain's AggregateRepository port implemented within one unit of work, for both
// persistence styles. Saving an aggregate stores its events (event-sourced) or its new state
// (state-stored) and routes each pending event through the service's projection (read-model
// writes) and integration mapping (the public message it becomes, written to the outbox), all in
// the same transaction.
//
//   // postgres/, built once by the service's composition root:
//   es::EventSourcedStore<Store> stores(
//       es::Repository<Store>(es::ProtoEventCodec<StoreEvent>(),
//                             es::ProtoSnapshotCodec<StoreState>(), {.snapshot_every = 3}),
//       {.project = ProjectStore, .integrate = application::IntegrationEvent});
//   // per unit of work:
//   es::BoundRepository<Store> repo(stores, uow);   // a domain AggregateRepository<Store>
#pragma once

#include <google/protobuf/message_lite.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/aggregate.h"
#include "libs/eventsourcing/repository.h"
#include "libs/messaging/envelope.h"
#include "libs/outbox/unit_of_work.h"

namespace eda::es {

// What an aggregate's saved events do besides being stored, in the same unit of work.
template <typename E>
struct EventRoutes {
  // Queues the read-model writes of one event (UnitOfWork::Defer). Optional.
  std::function<void(outbox::UnitOfWork&, const std::string& id, const E&)> project;
  // The public integration message one event becomes, or nullopt for a private event. Optional.
  std::function<std::optional<messaging::Message>(const std::string& id, const E&)> integrate;
};

// A projection written as a visitor: P{uow, id} has an operator() per event type it handles.
//   .project = es::Projection<StoreProjection>()
template <typename P>
struct Projection {
  template <typename E>
  void operator()(outbox::UnitOfWork& uow, const std::string& id, const E& event) const {
    std::visit(P{uow, id}, event);
  }
};

// A new integration message (fresh id, occurred now) with `payload` on `subject` as `name`.
inline messaging::Message IntegrationEvent(const char* subject, const char* name,
                                           const google::protobuf::MessageLite& payload) {
  return messaging::Message{.id = NewUuid(),
                            .name = name,
                            .subject = subject,
                            .payload = payload.SerializeAsString(),
                            .occurred_at = absl::Now()};
}

// Where aggregates of type A are kept; shared by every unit of work, thread-safe.
template <typename A>
class AggregateStore {
 public:
  using E = typename A::Event;
  explicit AggregateStore(EventRoutes<E> routes) : routes_(std::move(routes)) {}
  virtual ~AggregateStore() = default;
  virtual absl::StatusOr<A> Load(outbox::UnitOfWork& uow, const std::string& id) const = 0;
  virtual absl::Status Save(outbox::UnitOfWork& uow, A& aggregate) const = 0;

 protected:
  absl::Status Route(outbox::UnitOfWork& uow, const std::string& id,
                     const std::vector<E>& events) const {
    for (const E& event : events) {
      if (routes_.project) routes_.project(uow, id, event);
      if (!routes_.integrate) continue;
      if (std::optional<messaging::Message> m = routes_.integrate(id, event)) {
        if (m->aggregate_id.empty()) m->aggregate_id = id;  // published in order, numbered
        EDA_RETURN_IF_ERROR(uow.Publish(*std::move(m)));
      }
    }
    return absl::OkStatus();
  }

 private:
  EventRoutes<E> routes_;
};

// Aggregates as event streams (with snapshots) in the event store.
template <typename A>
class EventSourcedStore final : public AggregateStore<A> {
 public:
  using E = typename A::Event;
  EventSourcedStore(Repository<A> repository, EventRoutes<E> routes)
      : AggregateStore<A>(std::move(routes)), repository_(std::move(repository)) {}

  absl::StatusOr<A> Load(outbox::UnitOfWork& uow, const std::string& id) const override {
    return repository_.Load(uow.tx(), id);
  }
  // Everything goes out with the commit's round trip; a concurrent append fails the commit
  // with Aborted.
  absl::Status Save(outbox::UnitOfWork& uow, A& aggregate) const override {
    std::vector<E> events = aggregate.pending();
    EDA_RETURN_IF_ERROR(repository_.Save(uow.Deferred(), aggregate));
    return this->Route(uow, aggregate.id(), events);
  }

 private:
  Repository<A> repository_;
};

// Aggregates as rows of the service's own tables: `load` reads (and locks) one, `save` queues
// its upsert.
template <typename A>
class StateStore final : public AggregateStore<A> {
 public:
  using E = typename A::Event;
  struct Rows {
    // Errors: NotFound "<noun> <id> not found".
    std::function<absl::StatusOr<A>(outbox::UnitOfWork&, const std::string& id)> load;
    std::function<void(outbox::UnitOfWork&, const A&)> save;
  };
  StateStore(Rows rows, EventRoutes<E> routes)
      : AggregateStore<A>(std::move(routes)), rows_(std::move(rows)) {}

  absl::StatusOr<A> Load(outbox::UnitOfWork& uow, const std::string& id) const override {
    return rows_.load(uow, id);
  }
  absl::Status Save(outbox::UnitOfWork& uow, A& aggregate) const override {
    if (aggregate.pending().empty()) return absl::OkStatus();
    rows_.save(uow, aggregate);
    return this->Route(uow, aggregate.id(), AggregateAccess::TakePending(aggregate));
  }

 private:
  Rows rows_;
};

// An AggregateStore bound to one unit of work: the domain's repository port.
template <typename A>
class BoundRepository final : public AggregateRepository<A> {
 public:
  BoundRepository(const AggregateStore<A>& store, outbox::UnitOfWork& uow)
      : store_(store), uow_(uow) {}
  absl::StatusOr<A> Load(const std::string& id) override { return store_.Load(uow_, id); }
  absl::Status Save(A& aggregate) override { return store_.Save(uow_, aggregate); }

 private:
  const AggregateStore<A>& store_;
  outbox::UnitOfWork& uow_;
};

}  // namespace eda::es
