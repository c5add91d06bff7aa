#include "libs/pg/transaction.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"

namespace eda::pg {
namespace {

const char* BeginSql(Isolation isolation) {
  switch (isolation) {
    case Isolation::kReadCommitted: return "BEGIN";
    case Isolation::kRepeatableRead: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kSerializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
  }
  return "BEGIN";
}

}  // namespace

absl::StatusOr<Transaction> Transaction::Begin(Pool& pool, Isolation isolation) {
  EDA_ASSIGN_OR_RETURN(Lease lease, pool.Acquire());
  Connection* conn = &*lease;
  EDA_RETURN_IF_ERROR(conn->Exec(BeginSql(isolation)).status());
  return Transaction(std::move(lease), conn);
}

absl::StatusOr<Transaction> Transaction::Begin(Connection& conn, Isolation isolation) {
  EDA_RETURN_IF_ERROR(conn.Exec(BeginSql(isolation)).status());
  return Transaction(std::nullopt, &conn);
}

Transaction::Transaction(Transaction&& other) noexcept
    : lease_(std::move(other.lease_)), conn_(other.conn_), active_(other.active_) {
  other.active_ = false;
}

Transaction::~Transaction() {
  if (active_) (void)Rollback();
}

absl::Status Transaction::Commit() {
  if (!active_) return absl::FailedPreconditionError("transaction already finished");
  active_ = false;
  absl::StatusOr<Result> r = conn_->Exec("COMMIT");
  if (!r.ok()) return r.status();
  // COMMIT of a transaction that had failed reports success but rolls back.
  if (r->command_status() == "ROLLBACK") {
    // Not retryable: an earlier statement failed and its error was ignored by the caller.
    return absl::FailedPreconditionError(
        "commit: a statement of the transaction had failed, so it was rolled back");
  }
  return absl::OkStatus();
}

absl::Status Transaction::Rollback() {
  if (!active_) return absl::OkStatus();
  active_ = false;
  return conn_->Exec("ROLLBACK").status();
}

absl::Status WithTransaction(Pool& pool, const std::function<absl::Status(Transaction&)>& fn,
                             RetryOptions retry, Isolation isolation) {
  absl::Duration backoff = retry.initial_backoff;
  absl::Status last;
  for (int attempt = 1; attempt <= retry.max_attempts; ++attempt) {
    last = [&]() -> absl::Status {
      EDA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(pool, isolation));
      EDA_RETURN_IF_ERROR(fn(tx));
      return tx.Commit();
    }();
    if (last.code() != absl::StatusCode::kAborted) return last;
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff *= 2;
  }
  return Annotate(last, absl::StrCat("gave up after ", retry.max_attempts, " attempts"));
}

}  // namespace eda::pg
