// File: unit_of_work.h
// One request or one consumed message = one unit of work (spec §2.5): a database transaction that
// holds the business rows, the read-model updates, the outgoing messages (outbox) and the inbox
// row, committed together or not at all.
//
//   EDA_ASSIGN_OR_RETURN(outbox::UnitOfWork uow, outbox::UnitOfWork::Begin(pool));
//   EDA_RETURN_IF_ERROR(uow.tx().Exec("INSERT INTO stores ...", {...}).status());
//   EDA_RETURN_IF_ERROR(uow.Publish(message));   // an outbox row in the same transaction
//   EDA_RETURN_IF_ERROR(uow.Commit());           // then wakes the relay (NOTIFY after COMMIT)
//
// The relay is woken with NOTIFY issued after the commit, never inside the transaction: a NOTIFY
// inside a transaction takes a cluster-wide lock through the commit's flush and serialises every
// committing producer.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/messaging/envelope.h"
#include "libs/pg/pool.h"
#include "libs/pg/transaction.h"

namespace eda::outbox {

// The channel the relay listens on.
inline constexpr char kOutboxChannel[] = "mallbots_outbox";

// Wakes the relay after a commit that wrote outbox rows. Registered by a relay for its database
// (its DSN) while it leads; producers in the same process then wake it directly instead of
// sending NOTIFY through PostgreSQL. Thread-safe.
class RelayWaker {
 public:
  virtual ~RelayWaker() = default;
  virtual void Wake() = 0;
  static void Register(const std::string& dsn, RelayWaker* waker);
  static void Unregister(const std::string& dsn, RelayWaker* waker);
  // Wakes the leading relay of `dsn` in this process; false when there is none.
  static bool WakeLocal(const std::string& dsn);
};

// Told, after each commit that wrote outbox rows, which messages it wrote (the service's
// <svc>_sent_messages_count). Process-wide: the last one set by an `owner` is called until that
// owner clears it (a cleared or replaced owner's observer is never called again). Must be quick.
using CommitObserver = std::function<void(const std::vector<messaging::Message>&)>;
void SetCommitObserver(const void* owner, CommitObserver observer);
void ClearCommitObserver(const void* owner);

class UnitOfWork final {
 public:
  static absl::StatusOr<UnitOfWork> Begin(pg::Pool& pool);

  // The transaction, for statements whose results the caller needs. Deferred writes are sent
  // first, so the unit of work reads its own writes.
  pg::Transaction& tx();

  // Queues a write whose result is not needed; it is sent with the next tx() use or with the
  // COMMIT, in the same round trip. Its error, if any, is returned by Commit().
  void Defer(std::string sql, std::vector<pg::Param> params,
             std::function<absl::Status(absl::Status)> on_error = nullptr) {
    Defer({std::move(sql), std::move(params), std::move(on_error)});
  }
  void Defer(pg::Connection::Statement statement);
  // A writer for the event store (eventsourcing/event_store.h) that defers. It points at this
  // unit of work: use it in the call it is made for, not across a move of the unit of work.
  std::function<absl::Status(pg::Connection::Statement)> Deferred() {
    return [this](pg::Connection::Statement st) {
      Defer(std::move(st));
      return absl::OkStatus();
    };
  }
  // Sends the deferred writes now; returns their error (also remembered for Commit()).
  absl::Status Flush() {
    tx();
    return deferred_error_;
  }
  // The error of a deferred write, if one failed. Statements after it fail with "transaction
  // aborted"; this is the cause to report.
  const absl::Status& deferred_error() const { return deferred_error_; }

  // Adds an outgoing message (event, command or reply) to the unit of work. The outbox rows are
  // written with the COMMIT, in its round trip. Messages without a traceparent get the current
  // span's (observability/trace_context.h). Errors: InvalidArgument without id/name/subject.
  absl::Status Publish(messaging::Message message);
  int published() const { return static_cast<int>(outgoing_.size()); }
  // Runs `fn` once the unit of work has committed (never when it rolls back, nor when it rolls
  // back to a savepoint taken before): for what must only count what happened, such as metrics.
  void AfterCommit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }

  // Savepoints that also cover the messages published since (a rollback to the savepoint
  // forgets them).
  absl::Status Savepoint(const std::string& name);
  absl::Status RollbackToSavepoint(const std::string& name);
  absl::Status ReleaseSavepoint(const std::string& name);

  // Writes the outbox rows and commits, in one round trip; on success, if anything was
  // published, notifies the relay (NOTIFY after the COMMIT, same round trip).
  absl::Status Commit();

 private:
  UnitOfWork(pg::Transaction tx, const std::string* dsn) : tx_(std::move(tx)), dsn_(dsn) {}
  absl::Status CommitAll();

  pg::Transaction tx_;
  const std::string* dsn_;  // the pool's
  std::vector<pg::Connection::Statement> deferred_;
  absl::Status deferred_error_;
  std::vector<messaging::Message> outgoing_;
  std::vector<std::function<void()>> after_commit_;
  struct Mark {
    size_t outgoing;
    size_t after_commit;
  };
  std::map<std::string, Mark> savepoints_;  // name -> sizes when taken
};

// Runs fn in a unit of work and commits it. When that fails with Aborted (a concurrent change of
// an aggregate, a serialization failure), runs it again, up to max_attempts times in all, with a
// short growing pause. fn must be safe to run again.
absl::Status RunUnitOfWork(pg::Pool& pool, const std::function<absl::Status(UnitOfWork&)>& fn,
                           int max_attempts = 5);

}  // namespace eda::outbox
