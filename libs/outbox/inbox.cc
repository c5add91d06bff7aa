#include "libs/outbox/inbox.h"

#include <exception>
#include <set>

#include "absl/strings/str_cat.h"
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
  if (!uow.ok()) return messaging::Outcome::Retry(uow.status());
  absl::StatusOr<bool> fresh = RecordInbox(uow->tx(), consumer, m);
  if (!fresh.ok()) return messaging::Outcome::Retry(fresh.status());
  if (!*fresh) return messaging::Outcome::Duplicate();  // rolled back: nothing was written
  if (absl::Status s = Invoke(handler, *uow, m); !s.ok()) return messaging::Outcome::ForError(s);
  // Deferred writes run with the commit, so its error may be the handler's (e.g. a constraint).
  if (absl::Status s = uow->Commit(); !s.ok()) return messaging::Outcome::ForError(s);
  return messaging::Outcome::Ack();
}

// Records the batch in the inbox; returns the ids that were not recorded before.
absl::StatusOr<std::set<std::string>> RecordInboxBatch(pg::Transaction& tx, const std::string& consumer,
                                                       const std::vector<messaging::Delivery>& batch) {
  std::vector<std::string> ids, names, subjects;
  for (const messaging::Delivery& d : batch) {
    ids.push_back(d.message.id);
    names.push_back(d.message.name);
    subjects.push_back(d.message.subject);
  }
  EDA_ASSIGN_OR_RETURN(
      pg::Result r,
      tx.Exec("INSERT INTO inbox (consumer, id, name, subject) "
              "SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[]) "
              "ON CONFLICT (consumer, id) DO NOTHING RETURNING id",
              {consumer, pg::TextArray(ids), pg::TextArray(names), pg::TextArray(subjects)}));
  std::set<std::string> fresh;
  for (int i = 0; i < r.rows(); ++i) fresh.emplace(r.Text(i, 0));
  return fresh;
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

messaging::BatchHandler TransactionalHandler(pg::Pool& pool, std::string consumer,
                                             MessageHandler handler) {
  return [&pool, consumer = std::move(consumer), handler = std::move(handler)](
             const std::vector<messaging::Delivery>& batch) {
    std::vector<messaging::Outcome> outcomes;
    outcomes.reserve(batch.size());
    if (batch.size() > 1) {
      // Fast path: the whole batch in one transaction, its inbox rows in one statement.
      absl::Status batch_status = [&]() -> absl::Status {
        EDA_ASSIGN_OR_RETURN(UnitOfWork uow, UnitOfWork::Begin(pool));
        EDA_ASSIGN_OR_RETURN(std::set<std::string> fresh_ids, RecordInboxBatch(uow.tx(), consumer, batch));
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
  };
}

}  // namespace eda::outbox
