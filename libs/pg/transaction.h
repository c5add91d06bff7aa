// File: transaction.h
// An RAII transaction: it rolls back when destroyed unless Commit() succeeded.
//
//   EDA_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(pool));
//   EDA_RETURN_IF_ERROR(tx.Exec("INSERT ...", {a, b}).status());
//   EDA_RETURN_IF_ERROR(tx.Commit());       // any early return above rolls back
//
// WithTransaction() wraps that pattern and retries when the transaction was Aborted
// (serialization failure or deadlock).
#pragma once

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "libs/pg/connection.h"
#include "libs/pg/pool.h"

namespace eda::pg {

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

class Transaction final {
 public:
  // Leases a connection from `pool` for the transaction's lifetime and begins.
  static absl::StatusOr<Transaction> Begin(Pool& pool,
                                           Isolation isolation = Isolation::kReadCommitted);
  // Begins on a connection the caller keeps alive for the transaction's lifetime.
  static absl::StatusOr<Transaction> Begin(Connection& conn,
                                           Isolation isolation = Isolation::kReadCommitted);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // The first statement also carries the BEGIN (one round trip for both).
  absl::StatusOr<Result> Exec(absl::string_view sql, absl::Span<const Param> params);
  absl::StatusOr<Result> Exec(absl::string_view sql, std::initializer_list<Param> params = {}) {
    return Exec(sql, absl::Span<const Param>(params.begin(), params.size()));
  }

  // Runs the statements in one round trip (with the BEGIN, if not sent yet). Errors: the first
  // failing statement's (the transaction is then failed and will roll back).
  absl::Status ExecPipeline(std::vector<Connection::Statement> statements);

  // Commits. After an error the transaction is finished (rolled back by the server).
  // FailedPrecondition when an earlier statement had failed (the server rolled back instead).
  // `then` (parameterless statements, e.g. "NOTIFY x") runs right after the commit, outside the
  // transaction, in the same round trip; its own outcome goes to *then_status (if given) and
  // does not change the commit's.
  absl::Status Commit(absl::string_view then = "", absl::Status* then_status = nullptr);

  // Sends `before` (the last statements of the transaction), COMMIT and `then` in one round
  // trip. An error in `before` rolls the transaction back and is returned.
  absl::Status CommitWith(std::vector<Connection::Statement> before, absl::string_view then = "",
                          absl::Status* then_status = nullptr);
  // Rolls back now. Idempotent.
  absl::Status Rollback();

  Connection& connection() { return *conn_; }
  bool active() const { return active_; }

 private:
  Transaction(std::optional<Lease> lease, Connection* conn, const char* begin_sql)
      : lease_(std::move(lease)), conn_(conn), begin_sql_(begin_sql) {}

  std::optional<Lease> lease_;  // declared first: outlives the use of conn_
  Connection* conn_;
  const char* begin_sql_;  // sent with the first statement; nullptr once sent
  bool active_ = true;
};

struct RetryOptions {
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(2);
};

// Runs fn(tx) in a transaction and commits it; retries the whole unit when it fails with Aborted.
// fn's error (or the commit's) is returned; fn must be safe to run again.
absl::Status WithTransaction(Pool& pool, const std::function<absl::Status(Transaction&)>& fn,
                             RetryOptions retry = {},
                             Isolation isolation = Isolation::kReadCommitted);

}  // namespace eda::pg
