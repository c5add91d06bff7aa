#include "libs/outbox/unit_of_work.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/common/call_scope.h"
#include "libs/common/status_macros.h"
#include "libs/observability/trace_context.h"

namespace eda::outbox {

namespace {

// NATS's default max_payload. A larger message could never be published and would hold up
// every message behind it, so it is refused when written.
constexpr size_t kMaxMessageBytes = 1024 * 1024;

absl::Status Validate(const messaging::Message& message) {
  if (message.id.empty() || message.name.empty() || message.subject.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("outbox: message needs an id, a name and a subject (name '", message.name,
                     "', subject '", message.subject, "')"));
  }
  if (message.payload.size() + 1024 > kMaxMessageBytes) {
    return absl::InvalidArgumentError(absl::StrCat("outbox: message ", message.name, " is ",
                                                   message.payload.size(), " bytes; at most ",
                                                   kMaxMessageBytes - 1024, " are allowed"));
  }
  return absl::OkStatus();
}

// One INSERT for all the messages. Messages about an aggregate are numbered in the same
// statement: outbox_aggregates' counter is advanced by how many the aggregate has here (its row
// lock orders concurrent writers), and each gets the next number in the order written.
pg::Connection::Statement InsertOutbox(const std::vector<messaging::Message>& messages) {
  pg::Connection::Statement st;
  if (messages.size() == 1 && !messages[0].aggregate_id.empty()) {
    // The common case (one message about one aggregate) without the general form's grouping.
    const messaging::Message& m = messages[0];
    st.sql =
        "WITH b AS (INSERT INTO outbox_aggregates (aggregate_id, last_seq) VALUES ($6, 1) "
        "ON CONFLICT (aggregate_id) DO UPDATE SET last_seq = outbox_aggregates.last_seq + 1 "
        "RETURNING last_seq) "
        "INSERT INTO outbox (id, name, subject, data, sent_at, aggregate_id, aggregate_seq) "
        "SELECT $1, $2, $3, $4::bytea, $5::timestamptz, $6, last_seq FROM b";
    st.params = {m.id,
                 m.name,
                 m.subject,
                 pg::Param::Bytes(messaging::EncodeEnvelope(m)),
                 absl::FormatTime(absl::RFC3339_full, m.sent_at, absl::UTCTimeZone()),
                 m.aggregate_id};
    return st;
  }
  const bool numbered =
      std::any_of(messages.begin(), messages.end(),
                  [](const messaging::Message& m) { return !m.aggregate_id.empty(); });
  st.sql = numbered ? "WITH m (ord, id, name, subject, data, sent_at, aggregate_id) AS (VALUES "
                    : "INSERT INTO outbox (id, name, subject, data, sent_at) VALUES ";
  for (size_t i = 0; i < messages.size(); ++i) {
    const messaging::Message& m = messages[i];
    const size_t p = st.params.size();
    if (numbered) {
      absl::StrAppend(&st.sql, i > 0 ? ", " : "", "(", i, ", $", p + 1, ", $", p + 2, ", $", p + 3,
                      ", $", p + 4, "::bytea, $", p + 5, "::timestamptz, $", p + 6, ")");
    } else {
      absl::StrAppend(&st.sql, i > 0 ? ", " : "", "($", p + 1, ", $", p + 2, ", $", p + 3, ", $",
                      p + 4, ", $", p + 5, "::timestamptz)");
    }
    st.params.emplace_back(m.id);
    st.params.emplace_back(m.name);
    st.params.emplace_back(m.subject);
    st.params.push_back(pg::Param::Bytes(messaging::EncodeEnvelope(m)));
    st.params.emplace_back(absl::FormatTime(absl::RFC3339_full, m.sent_at, absl::UTCTimeZone()));
    if (numbered) {
      st.params.push_back(m.aggregate_id.empty() ? pg::Param(nullptr) : pg::Param(m.aggregate_id));
    }
  }
  if (numbered) {
    absl::StrAppend(
        &st.sql,
        "), counts AS (SELECT aggregate_id, count(*) AS n FROM m WHERE aggregate_id IS NOT NULL "
        "GROUP BY aggregate_id), "
        "bumped AS (INSERT INTO outbox_aggregates (aggregate_id, last_seq) "
        "SELECT aggregate_id, n FROM counts ON CONFLICT (aggregate_id) DO UPDATE "
        "SET last_seq = outbox_aggregates.last_seq + EXCLUDED.last_seq "
        "RETURNING aggregate_id, last_seq) "
        "INSERT INTO outbox (id, name, subject, data, sent_at, aggregate_id, aggregate_seq) "
        "SELECT m.id, m.name, m.subject, m.data, m.sent_at, m.aggregate_id, "
        "b.last_seq - c.n + row_number() OVER (PARTITION BY m.aggregate_id ORDER BY m.ord) "
        "FROM m LEFT JOIN counts c USING (aggregate_id) LEFT JOIN bumped b USING (aggregate_id) "
        "ORDER BY m.ord");
  }
  return st;
}

}  // namespace

absl::Status RunUnitOfWork(pg::Pool& pool, const std::function<absl::Status(UnitOfWork&)>& fn,
                           int max_attempts) {
  absl::Duration pause = absl::Milliseconds(1);
  absl::Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    // Not for a caller that left (the gRPC call's deadline passed, or it cancelled).
    if (absl::Status gone = CallScope::Check(); !gone.ok()) {
      return attempt == 1 ? gone : Annotate(last, gone.message());
    }
    last = [&]() -> absl::Status {
      EDA_ASSIGN_OR_RETURN(UnitOfWork uow, UnitOfWork::Begin(pool));
      if (absl::Status s = fn(uow); !s.ok()) {
        return uow.deferred_error().ok() ? s : uow.deferred_error();
      }
      return uow.Commit();
    }();
    if (last.code() != absl::StatusCode::kAborted) return last;
    absl::SleepFor(pause);
    pause *= 2;
  }
  return Annotate(last, absl::StrCat("still conflicting after ", max_attempts, " attempts"));
}

namespace {

absl::Mutex observer_mu(absl::kConstInit);
const void* observer_owner ABSL_GUARDED_BY(observer_mu) = nullptr;
CommitObserver& Observer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(observer_mu) {
  static auto* observer = new CommitObserver();
  return *observer;
}

absl::Mutex wakers_mu(absl::kConstInit);
std::map<std::string, RelayWaker*>& Wakers() ABSL_EXCLUSIVE_LOCKS_REQUIRED(wakers_mu) {
  static auto* wakers = new std::map<std::string, RelayWaker*>();
  return *wakers;
}

}  // namespace

void SetCommitObserver(const void* owner, CommitObserver observer) {
  absl::MutexLock lock(&observer_mu);
  observer_owner = owner;
  Observer() = std::move(observer);
}

void ClearCommitObserver(const void* owner) {
  absl::MutexLock lock(&observer_mu);
  if (observer_owner != owner) return;
  observer_owner = nullptr;
  Observer() = nullptr;
}

void RelayWaker::Register(const std::string& dsn, RelayWaker* waker) {
  absl::MutexLock lock(&wakers_mu);
  Wakers()[dsn] = waker;
}

void RelayWaker::Unregister(const std::string& dsn, RelayWaker* waker) {
  absl::MutexLock lock(&wakers_mu);
  auto it = Wakers().find(dsn);
  if (it != Wakers().end() && it->second == waker) Wakers().erase(it);
}

bool RelayWaker::WakeLocal(const std::string& dsn) {
  absl::MutexLock lock(&wakers_mu);
  auto it = Wakers().find(dsn);
  if (it == Wakers().end()) return false;
  it->second->Wake();
  return true;
}

absl::StatusOr<UnitOfWork> UnitOfWork::Begin(pg::Pool& pool) {
  EDA_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(pool));
  return UnitOfWork(std::move(tx), &pool.dsn());
}

absl::Status UnitOfWork::Publish(messaging::Message message) {
  if (message.metadata.find(messaging::kTraceparent) == message.metadata.end()) {
    if (const obs::SpanContext* span = obs::CurrentSpan()) {
      obs::InjectTrace(span->NewChild(), message.metadata);
    }
  }
  if (message.sent_at == absl::UnixEpoch()) message.sent_at = absl::Now();
  EDA_RETURN_IF_ERROR(Validate(message));
  outgoing_.push_back(std::move(message));
  return absl::OkStatus();
}

pg::Transaction& UnitOfWork::tx() {
  if (!deferred_.empty()) {
    absl::Status s = tx_.ExecPipeline(std::move(deferred_));
    deferred_.clear();
    if (deferred_error_.ok()) deferred_error_ = s;
  }
  return tx_;
}

void UnitOfWork::Defer(pg::Connection::Statement statement) {
  deferred_.push_back(std::move(statement));
}

absl::Status UnitOfWork::Savepoint(const std::string& name) {
  tx();  // sends deferred writes: their error is the one to report
  EDA_RETURN_IF_ERROR(deferred_error_);
  EDA_RETURN_IF_ERROR(tx_.Exec(absl::StrCat("SAVEPOINT ", name)).status());
  savepoints_[name] = {outgoing_.size(), after_commit_.size()};
  return absl::OkStatus();
}

absl::Status UnitOfWork::RollbackToSavepoint(const std::string& name) {
  auto it = savepoints_.find(name);
  if (it == savepoints_.end()) return absl::FailedPreconditionError("no savepoint " + name);
  deferred_.clear();  // queued after the savepoint: forgotten with it
  EDA_RETURN_IF_ERROR(tx_.Exec(absl::StrCat("ROLLBACK TO SAVEPOINT ", name)).status());
  deferred_error_ = absl::OkStatus();  // a deferred write that failed after the savepoint
  outgoing_.resize(it->second.outgoing);
  after_commit_.resize(it->second.after_commit);
  return absl::OkStatus();
}

absl::Status UnitOfWork::ReleaseSavepoint(const std::string& name) {
  tx();
  EDA_RETURN_IF_ERROR(deferred_error_);
  EDA_RETURN_IF_ERROR(tx_.Exec(absl::StrCat("RELEASE SAVEPOINT ", name)).status());
  savepoints_.erase(name);
  return absl::OkStatus();
}

absl::Status UnitOfWork::Commit() {
  absl::Status status = CommitAll();
  if (status.ok() && !outgoing_.empty()) {
    absl::MutexLock lock(&observer_mu);
    if (Observer() != nullptr) Observer()(outgoing_);
  }
  if (status.ok()) {
    for (const std::function<void()>& fn : after_commit_) fn();
  }
  after_commit_.clear();
  return status;
}

absl::Status UnitOfWork::CommitAll() {
  EDA_RETURN_IF_ERROR(deferred_error_);  // the destructor rolls back
  std::vector<pg::Connection::Statement> last = std::move(deferred_);
  deferred_.clear();
  if (outgoing_.empty()) return tx_.CommitWith(std::move(last));
  // Deferred writes, outbox rows, COMMIT and NOTIFY (after the commit, outside the transaction)
  // in one round trip. A failed NOTIFY after a good commit only delays the relay until its next
  // poll, so its status is not used.
  last.push_back(InsertOutbox(outgoing_));
  bool local;
  {
    absl::MutexLock lock(&wakers_mu);
    local = Wakers().count(*dsn_) > 0;
  }
  if (local) {
    // The relay leading for this database runs in this process: wake it directly after the
    // commit (cheaper than a NOTIFY, which PostgreSQL has to queue and deliver).
    EDA_RETURN_IF_ERROR(tx_.CommitWith(std::move(last)));
    if (!RelayWaker::WakeLocal(*dsn_)) {  // it stopped leading meanwhile: tell the new leader
      (void)tx_.connection().Exec(absl::StrCat("NOTIFY ", kOutboxChannel));
    }
    return absl::OkStatus();
  }
  absl::Status notify;
  return tx_.CommitWith(std::move(last), absl::StrCat("NOTIFY ", kOutboxChannel), &notify);
}

}  // namespace eda::outbox
