#include "libs/outbox/inbox.h"

#include <algorithm>
#include <exception>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/status_macros.h"
#include "libs/observability/trace_context.h"

namespace eda::outbox {
namespace {

// Runs the handler as part of the unit of work; an exception counts as an Internal error.
absl::Status Invoke(const MessageHandler& handler, UnitOfWork& uow, const messaging::Message& m) {
  std::optional<obs::SpanContext> parent = obs::ExtractTrace(m.metadata);
  obs::ScopedSpan span(parent.has_value() ? parent->NewChild() : obs::SpanContext::NewRoot());
  try {
    absl::Status s = handler(uow, m);
    return !s.ok() && !uow.deferred_error().ok() ? uow.deferred_error() : s;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("handler threw: ", e.what()));
  } catch (...) {
    return absl::InternalError("handler threw a non-standard exception");
  }
}

// Handles one message in its own transaction. Returns its outcome.
messaging::Outcome HandleOne(pg::Pool& pool, const std::string& consumer,
                             const MessageHandler& handler, const messaging::Message& m) {
  absl::StatusOr<UnitOfWork> uow = UnitOfWork::Begin(pool);
  if (!uow.ok()) return messaging::Outcome::ForError(uow.status());
  absl::StatusOr<bool> fresh = RecordInbox(uow->tx(), consumer, m);
  if (!fresh.ok()) return messaging::Outcome::ForError(fresh.status());
  if (!*fresh) return messaging::Outcome::Duplicate();  // rolled back: nothing was written
  if (absl::Status s = Invoke(handler, *uow, m); !s.ok()) return messaging::Outcome::ForError(s);
  // Deferred writes run with the commit, so its error may be the handler's (e.g. a constraint).
  if (absl::Status s = uow->Commit(); !s.ok()) return messaging::Outcome::ForError(s);
  return messaging::Outcome::Ack();
}

// The batch's inbox rows, from parameters InboxBatchParams() makes.
constexpr char kInsertInboxBatch[] =
    "INSERT INTO inbox (consumer, id, name, subject) "
    "SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])";

std::vector<pg::Param> InboxBatchParams(const std::string& consumer,
                                        const std::vector<messaging::Delivery>& batch) {
  std::vector<std::string> ids, names, subjects;
  for (const messaging::Delivery& d : batch) {
    ids.push_back(d.message.id);
    names.push_back(d.message.name);
    subjects.push_back(d.message.subject);
  }
  return {consumer, pg::TextArray(ids), pg::TextArray(names), pg::TextArray(subjects)};
}

// Records the batch in the inbox; returns the ids that were not recorded before.
absl::StatusOr<std::set<std::string>> RecordInboxBatch(
    pg::Transaction& tx, const std::string& consumer,
    const std::vector<messaging::Delivery>& batch) {
  static const std::string kSql =
      absl::StrCat(kInsertInboxBatch, " ON CONFLICT (consumer, id) DO NOTHING RETURNING id");
  EDA_ASSIGN_OR_RETURN(pg::Result r, tx.Exec(kSql, InboxBatchParams(consumer, batch)));
  std::set<std::string> fresh;
  for (int i = 0; i < r.rows(); ++i) fresh.emplace(r.Text(i, 0));
  return fresh;
}

// The whole batch in one transaction sent in one round trip: the inbox rows, the handlers'
// effects and outgoing messages, and the COMMIT. The inbox rows are inserted without ON CONFLICT,
// so a message recorded before fails the transaction (nothing is written) instead of having its
// effects committed twice; the caller then takes the careful path. Sets `handler_failed` when a
// handler itself failed (the careful batch path would fail the same way).
absl::Status OneRoundTrip(pg::Pool& pool, const std::string& consumer,
                          const MessageHandler& handler,
                          const std::vector<messaging::Delivery>& batch, bool* handler_failed) {
  EDA_ASSIGN_OR_RETURN(UnitOfWork uow, UnitOfWork::Begin(pool));
  uow.Defer({kInsertInboxBatch, InboxBatchParams(consumer, batch)});
  for (const messaging::Delivery& d : batch) {
    if (absl::Status s = Invoke(handler, uow, d.message); !s.ok()) {
      *handler_failed = uow.deferred_error().ok();  // not an inbox conflict surfacing early
      return s;
    }
  }
  return uow.Commit();
}

// Handles a batch whose attempts are within bounds: one transaction if possible, else each
// message alone.
std::vector<messaging::Outcome> HandleBatch(pg::Pool& pool, const std::string& consumer,
                                            const MessageHandler& handler,
                                            const std::vector<messaging::Delivery>& batch) {
  std::vector<messaging::Outcome> outcomes;
  outcomes.reserve(batch.size());
  if (batch.empty()) return outcomes;
  // A redelivered message may have been handled already: such a batch goes the careful way.
  const bool first_deliveries = std::all_of(
      batch.begin(), batch.end(), [](const messaging::Delivery& d) { return d.delivered == 1; });
  bool handler_failed = false;
  if (first_deliveries) {
    absl::Status s = OneRoundTrip(pool, consumer, handler, batch, &handler_failed);
    if (s.ok()) {
      outcomes.assign(batch.size(), messaging::Outcome::Ack());
      return outcomes;
    }
    if ((handler_failed && batch.size() == 1) || messaging::Outcome::IsInfrastructure(s)) {
      // Its own transaction already (no second run), or the database failed: the careful paths
      // would only fail the same way, one message after the other.
      outcomes.assign(batch.size(), messaging::Outcome::ForError(s));
      return outcomes;
    }
  }
  if (batch.size() > 1 && !handler_failed) {
    // The whole batch in one transaction, duplicates skipped (found by the inbox insert, one
    // round trip before the handlers run).
    absl::Status batch_status = [&]() -> absl::Status {
      EDA_ASSIGN_OR_RETURN(UnitOfWork uow, UnitOfWork::Begin(pool));
      EDA_ASSIGN_OR_RETURN(std::set<std::string> fresh_ids,
                           RecordInboxBatch(uow.tx(), consumer, batch));
      for (const messaging::Delivery& d : batch) {
        // erase(): a message twice in one batch is handled once.
        if (fresh_ids.erase(d.message.id) == 0) {
          outcomes.push_back(messaging::Outcome::Duplicate());
          continue;
        }
        EDA_RETURN_IF_ERROR(Invoke(handler, uow, d.message));
        outcomes.push_back(messaging::Outcome::Ack());
      }
      return uow.Commit();
    }();
    if (batch_status.ok()) return outcomes;
    outcomes.clear();  // rolled back: handle each message alone
  }
  for (const messaging::Delivery& d : batch) {
    outcomes.push_back(HandleOne(pool, consumer, handler, d.message));
  }
  return outcomes;
}

// Records one more attempt for each redelivered message of the batch; returns the attempt each
// delivery is. A first delivery is attempt 1 and recorded only when its handler rejects it (so
// the common case costs nothing); a first delivery that crashed the process is then not
// counted, which costs one more attempt in the rare case.
absl::StatusOr<std::vector<uint64_t>> RecordAttempts(
    pg::Pool& pool, const std::string& consumer, const std::vector<messaging::Delivery>& batch) {
  std::vector<uint64_t> attempts(batch.size(), 1);
  std::vector<std::string> seqs;
  for (const messaging::Delivery& d : batch) {
    if (d.delivered > 1) seqs.push_back(std::to_string(d.stream_seq));
  }
  if (seqs.empty()) return attempts;
  EDA_ASSIGN_OR_RETURN(pg::Lease conn, pool.Acquire());
  EDA_ASSIGN_OR_RETURN(pg::Result r,
                       conn->Exec("INSERT INTO inbox_attempts (consumer, stream_seq, attempts) "
                                  "SELECT $1, unnest($2::bigint[]), 1 "
                                  "ON CONFLICT (consumer, stream_seq) DO UPDATE "
                                  "SET attempts = inbox_attempts.attempts + 1, updated_at = now() "
                                  "RETURNING stream_seq, attempts",
                                  {consumer, pg::TextArray(seqs)}));
  std::map<uint64_t, uint64_t> recorded;
  for (int i = 0; i < r.rows(); ++i) {
    EDA_ASSIGN_OR_RETURN(int64_t seq, r.Int(i, 0));
    EDA_ASSIGN_OR_RETURN(int64_t n, r.Int(i, 1));
    recorded[static_cast<uint64_t>(seq)] = static_cast<uint64_t>(n);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].delivered > 1) attempts[i] = recorded[batch[i].stream_seq];
  }
  return attempts;
}

// After the batch: attempts that failed for the infrastructure are given back, handled messages
// forget theirs, and first deliveries the handler rejected are recorded as attempt 1. Best
// effort (the database may be the thing that failed): a count left one too high costs one
// attempt.
struct AttemptChanges {
  std::vector<std::string> give_back, done, rejected_first;
};

void SettleAttempts(pg::Pool& pool, const std::string& consumer, const AttemptChanges& c) {
  if (c.give_back.empty() && c.done.empty() && c.rejected_first.empty()) return;
  absl::StatusOr<pg::Lease> conn = pool.Acquire();
  if (!conn.ok()) return;
  if (!c.give_back.empty()) {
    (void)(*conn)->Exec(
        "UPDATE inbox_attempts SET attempts = attempts - 1 "
        "WHERE consumer = $1 AND stream_seq = ANY($2::bigint[])",
        {consumer, pg::TextArray(c.give_back)});
  }
  if (!c.done.empty()) {
    (void)(*conn)->Exec(
        "DELETE FROM inbox_attempts WHERE consumer = $1 AND stream_seq = ANY($2::bigint[])",
        {consumer, pg::TextArray(c.done)});
  }
  if (!c.rejected_first.empty()) {
    (void)(*conn)->Exec(
        "INSERT INTO inbox_attempts (consumer, stream_seq, attempts) "
        "SELECT $1, unnest($2::bigint[]), 1 ON CONFLICT (consumer, stream_seq) DO NOTHING",
        {consumer, pg::TextArray(c.rejected_first)});
  }
}

}  // namespace

absl::StatusOr<bool> RecordInbox(pg::Transaction& tx, const std::string& consumer,
                                 const messaging::Message& message) {
  EDA_ASSIGN_OR_RETURN(pg::Result r,
                       tx.Exec("INSERT INTO inbox (consumer, id, name, subject) VALUES ($1, $2, "
                               "$3, $4) ON CONFLICT (consumer, id) DO NOTHING",
                               {consumer, message.id, message.name, message.subject}));
  return r.affected() == 1;
}

MessageHandler InOrder(std::string consumer, MessageHandler handler, absl::Duration gap_wait) {
  // When this process first saw each early message (aggregate id, number), to tell a gap that
  // is being filled (its predecessor redelivered after a crash: wait, uncounted) from one that
  // is not (retried and counted, so it ends dead-lettered).
  struct Early {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, absl::Time> since ABSL_GUARDED_BY(mu);
  };
  auto early = std::make_shared<Early>();
  return [consumer = std::move(consumer), handler = std::move(handler), gap_wait, early](
             UnitOfWork& uow, const messaging::Message& m) -> absl::Status {
    if (m.aggregate_id.empty() || m.aggregate_seq == 0) return handler(uow, m);
    EDA_ASSIGN_OR_RETURN(pg::Result r, uow.tx().Exec("SELECT seq FROM inbox_positions WHERE "
                                                     "consumer = $1 AND aggregate_id = $2 "
                                                     "FOR UPDATE",
                                                     {consumer, m.aggregate_id}));
    int64_t at = 0;
    if (r.rows() > 0) {
      EDA_ASSIGN_OR_RETURN(at, r.Int(0, 0));
    }
    const auto seq = static_cast<int64_t>(m.aggregate_seq);
    const std::string key = absl::StrCat(m.aggregate_id, "#", seq);
    if (seq > at + 1) {
      absl::Time since;
      {
        absl::MutexLock lock(&early->mu);
        if (early->since.size() > 100000) early->since.clear();  // bounded: worst case, waits more
        since = early->since.try_emplace(key, absl::Now()).first->second;
      }
      const std::string why = absl::StrCat(
          m.name, " (", m.id, ") is message ", seq, " of aggregate ", m.aggregate_id, "; ",
          consumer, " has applied ", at, " of them: waiting for message ", at + 1);
      if (absl::Now() - since < gap_wait) return absl::UnavailableError(why);
      return absl::OutOfRangeError(why);
    }
    {
      absl::MutexLock lock(&early->mu);
      early->since.erase(key);
    }
    if (seq <= at) return absl::OkStatus();  // applied before (a copy under another message id)
    EDA_RETURN_IF_ERROR(handler(uow, m));
    uow.Defer(
        "INSERT INTO inbox_positions (consumer, aggregate_id, seq) VALUES ($1, $2, $3) "
        "ON CONFLICT (consumer, aggregate_id) DO UPDATE SET seq = EXCLUDED.seq",
        {consumer, m.aggregate_id, seq});
    return absl::OkStatus();
  };
}

messaging::BatchHandler TransactionalHandler(pg::Pool& pool, std::string consumer,
                                             MessageHandler handler, int max_deliver) {
  return [&pool, consumer = std::move(consumer), handler = std::move(handler),
          max_deliver](const std::vector<messaging::Delivery>& all) {
    absl::StatusOr<std::vector<uint64_t>> attempts = RecordAttempts(pool, consumer, all);
    if (!attempts.ok()) {
      return std::vector<messaging::Outcome>(all.size(),
                                             messaging::Outcome::ForError(attempts.status()));
    }
    std::vector<messaging::Outcome> outcomes(all.size());
    std::vector<size_t> todo;
    for (size_t i = 0; i < all.size(); ++i) {
      const uint64_t attempt = (*attempts)[i];
      if (max_deliver > 0 && attempt > static_cast<uint64_t>(max_deliver)) {
        // Its last allowed attempt ended without an outcome (a crash, an ack wait that ran out,
        // a failed dead-letter publish): dead-lettered unhandled.
        outcomes[i] = messaging::Outcome::DeadLetter(absl::ResourceExhaustedError(
            absl::StrCat("attempted ", attempt, " times; at most ", max_deliver, " allowed")));
        continue;
      }
      todo.push_back(i);
    }
    // Copies of the deliveries only when some are left out (rare).
    std::vector<messaging::Delivery> subset;
    if (todo.size() < all.size()) {
      for (size_t i : todo) subset.push_back(all[i]);
    }
    std::vector<messaging::Outcome> handled =
        HandleBatch(pool, consumer, handler, todo.size() < all.size() ? subset : all);
    AttemptChanges changes;
    for (size_t k = 0; k < todo.size(); ++k) {
      const size_t i = todo[k];
      messaging::Outcome o = k < handled.size()
                                 ? handled[k]
                                 : messaging::Outcome::Retry(absl::InternalError("no outcome"));
      const std::string seq = std::to_string(all[i].stream_seq);
      if (o.kind == messaging::Outcome::kRetry) {
        o.attempt = (*attempts)[i];
        if (all[i].delivered == 1) changes.rejected_first.push_back(seq);
      }
      if (all[i].delivered > 1 && o.kind == messaging::Outcome::kWait) {
        changes.give_back.push_back(seq);
      }
      if (all[i].delivered > 1 && o.kind == messaging::Outcome::kAck) changes.done.push_back(seq);
      outcomes[i] = std::move(o);
    }
    SettleAttempts(pool, consumer, changes);
    return outcomes;
  };
}

}  // namespace eda::outbox
