#include "libs/pg/transaction.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"

namespace eda::pg {
namespace {

const char* BeginSql(Isolation isolation) {
  switch (isolation) {
    case Isolation::kReadCommitted:
      return "BEGIN";
    case Isolation::kRepeatableRead:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kSerializable:
      return "BEGIN ISOLATION LEVEL SERIALIZABLE";
  }
  return "BEGIN";
}

}  // namespace

// BEGIN is not sent here: it goes out with the first statement, saving a round trip.
absl::StatusOr<Transaction> Transaction::Begin(Pool& pool, Isolation isolation) {
  EDA_ASSIGN_OR_RETURN(Lease lease, pool.Acquire());
  Connection* conn = &*lease;
  return Transaction(std::move(lease), conn, BeginSql(isolation));
}

absl::StatusOr<Transaction> Transaction::Begin(Connection& conn, Isolation isolation) {
  return Transaction(std::nullopt, &conn, BeginSql(isolation));
}

Transaction::Transaction(Transaction&& other) noexcept
    : lease_(std::move(other.lease_)),
      conn_(other.conn_),
      begin_sql_(other.begin_sql_),
      active_(other.active_) {
  other.active_ = false;
}

absl::StatusOr<Result> Transaction::Exec(absl::string_view sql, absl::Span<const Param> params) {
  if (!active_) return absl::FailedPreconditionError("transaction already finished");
  if (begin_sql_ != nullptr) {
    const char* begin = begin_sql_;
    begin_sql_ = nullptr;
    std::vector<Result> results;
    EDA_RETURN_IF_ERROR(conn_->ExecPipeline(
        {{begin, {}}, {std::string(sql), std::vector<Param>(params.begin(), params.end())}},
        &results));
    return std::move(results.back());
  }
  return conn_->Exec(sql, params);
}

absl::Status Transaction::ExecPipeline(std::vector<Connection::Statement> statements) {
  if (!active_) return absl::FailedPreconditionError("transaction already finished");
  if (begin_sql_ != nullptr) {
    statements.insert(statements.begin(), Connection::Statement{begin_sql_, {}});
    begin_sql_ = nullptr;
  }
  std::vector<Result> results;
  return conn_->ExecPipeline(statements, &results);
}

absl::Status Transaction::CommitWith(std::vector<Connection::Statement> before,
                                     absl::string_view then, absl::Status* then_status) {
  if (!active_) return absl::FailedPreconditionError("transaction already finished");
  if (before.empty()) return Commit(then, then_status);
  if (begin_sql_ != nullptr && std::string_view(begin_sql_) == "BEGIN" && then.empty()) {
    // Nothing was sent yet: the statements go out alone, and PostgreSQL runs them up to the
    // pipeline's sync point as one implicit transaction (all committed, or none if one fails),
    // which spares the BEGIN and COMMIT statements.
    begin_sql_ = nullptr;
    active_ = false;
    std::vector<Result> results;
    return conn_->ExecPipeline(before, &results);
  }
  std::vector<Connection::Statement> statements;
  statements.reserve(before.size() + 3);
  if (begin_sql_ != nullptr) statements.push_back({begin_sql_, {}});
  begin_sql_ = nullptr;
  for (Connection::Statement& st : before) statements.push_back(std::move(st));
  statements.push_back({"COMMIT", {}});
  const size_t commit_index = statements.size() - 1;
  if (!then.empty()) statements.push_back({std::string(then), {}});
  std::vector<Result> results;
  absl::Status s = conn_->ExecPipeline(statements, &results);
  if (results.size() > commit_index) {  // the COMMIT ran; `s` can only concern `then`
    active_ = false;
    if (then_status != nullptr) *then_status = s;
    if (results[commit_index].command_status() == "ROLLBACK") {
      return absl::FailedPreconditionError(
          "commit: a statement of the transaction had failed, so it was rolled back");
    }
    return absl::OkStatus();
  }
  // Something before the COMMIT failed (the COMMIT was skipped), or the link did: the
  // transaction is not committed; roll it back (the destructor would, too).
  (void)Rollback();
  return s.ok() ? absl::InternalError("commit: no result") : s;
}

Transaction::~Transaction() {
  if (active_) (void)Rollback();
}

absl::Status Transaction::Commit(absl::string_view then, absl::Status* then_status) {
  if (!active_) return absl::FailedPreconditionError("transaction already finished");
  active_ = false;
  std::vector<std::string> tags;
  if (begin_sql_ != nullptr) {  // nothing was sent: nothing to commit
    begin_sql_ = nullptr;
    if (!then.empty()) {
      absl::Status s = conn_->ExecBatch(then, &tags);
      if (then_status != nullptr) *then_status = s;
    }
    return absl::OkStatus();
  }
  absl::Status s = conn_->ExecBatch(
      then.empty() ? std::string("COMMIT") : absl::StrCat("COMMIT; ", then), &tags);
  if (tags.empty()) {  // the COMMIT itself failed (or the link did)
    return s.ok() ? absl::InternalError("commit: no result") : s;
  }
  if (then_status != nullptr) *then_status = s;
  // COMMIT of a transaction that had failed reports success but rolls back.
  if (tags.front() == "ROLLBACK") {
    // Not retryable: an earlier statement failed and its error was ignored by the caller.
    return absl::FailedPreconditionError(
        "commit: a statement of the transaction had failed, so it was rolled back");
  }
  return absl::OkStatus();
}

absl::Status Transaction::Rollback() {
  if (!active_) return absl::OkStatus();
  active_ = false;
  if (begin_sql_ != nullptr) return absl::OkStatus();  // never began on the server
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
