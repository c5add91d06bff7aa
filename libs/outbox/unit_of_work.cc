#include "libs/outbox/unit_of_work.h"

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/observability/trace_context.h"

namespace eda::outbox {

absl::Status WriteOutbox(pg::Transaction& tx, const messaging::Message& message) {
  if (message.id.empty() || message.name.empty() || message.subject.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("outbox: message needs an id, a name and a subject (name '", message.name,
                     "', subject '", message.subject, "')"));
  }
  return tx
      .Exec(
          "INSERT INTO outbox (id, name, subject, data, sent_at) "
          "VALUES ($1, $2, $3, $4, $5::timestamptz) ON CONFLICT (id) DO NOTHING",
          {message.id, message.name, message.subject,
           pg::Param::Bytes(messaging::EncodeEnvelope(message)),
           absl::FormatTime(absl::RFC3339_full, message.sent_at, absl::UTCTimeZone())})
      .status();
}

absl::Status RunUnitOfWork(pg::Pool& pool, const std::function<absl::Status(UnitOfWork&)>& fn,
                           int max_attempts) {
  absl::Duration pause = absl::Milliseconds(1);
  absl::Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    last = [&]() -> absl::Status {
      EDA_ASSIGN_OR_RETURN(UnitOfWork uow, UnitOfWork::Begin(pool));
      EDA_RETURN_IF_ERROR(fn(uow));
      return uow.Commit();
    }();
    if (last.code() != absl::StatusCode::kAborted) return last;
    absl::SleepFor(pause);
    pause *= 2;
  }
  return Annotate(last, absl::StrCat("still conflicting after ", max_attempts, " attempts"));
}

absl::StatusOr<UnitOfWork> UnitOfWork::Begin(pg::Pool& pool) {
  EDA_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(pool));
  return UnitOfWork(std::move(tx));
}

absl::Status UnitOfWork::Publish(messaging::Message message) {
  if (message.metadata.find(messaging::kTraceparent) == message.metadata.end()) {
    if (const obs::SpanContext* span = obs::CurrentSpan()) {
      obs::InjectTrace(span->NewChild(), message.metadata);
    }
  }
  if (message.sent_at == absl::UnixEpoch()) message.sent_at = absl::Now();
  EDA_RETURN_IF_ERROR(WriteOutbox(tx_, message));
  ++published_;
  return absl::OkStatus();
}

absl::Status UnitOfWork::Commit() {
  if (published_ == 0) return tx_.Commit();
  // NOTIFY after the COMMIT, in the same round trip but outside the transaction. A failed NOTIFY
  // after a good commit only delays the relay until its next poll, so its status is not used.
  absl::Status notify;
  return tx_.Commit(absl::StrCat("NOTIFY ", kOutboxChannel), &notify);
}

}  // namespace eda::outbox
