#include "libs/outbox/commands.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/consumer.h"

namespace eda::outbox {
namespace {

// Failures of the infrastructure, not of the command: the command is retried (and in the end
// dead-lettered) rather than answered with a failure the saga would compensate for. The same
// classification as the consumer's retries.
bool Transient(const absl::Status& s) {
  if (s.ok()) return false;
  const messaging::Outcome::Kind kind = messaging::Outcome::ForError(s).kind;
  return kind == messaging::Outcome::kRetry || kind == messaging::Outcome::kWait;
}

}  // namespace

absl::StatusOr<std::string> SendCommand(UnitOfWork& uow, const Command& command) {
  messaging::Message m;
  m.id = command.id.empty() ? NewUuid() : command.id;
  m.name = command.name;
  m.subject = command.subject;
  m.payload = command.payload;
  m.metadata = command.metadata;
  m.metadata[messaging::kCommandReplyChannel] = command.reply_channel;
  m.metadata[messaging::kCommandSagaId] = command.saga_id;
  m.metadata[messaging::kCommandSagaName] = command.saga_name;
  m.occurred_at = absl::Now();
  const std::string id = m.id;
  EDA_RETURN_IF_ERROR(uow.Publish(std::move(m)));
  return id;
}

messaging::Message ReplyTo(const messaging::Message& command, const absl::Status& status,
                           const std::optional<Reply>& reply) {
  messaging::Message m;
  m.id = NewUuid();
  if (auto channel = command.metadata.find(messaging::kCommandReplyChannel);
      channel != command.metadata.end()) {
    m.subject = channel->second;
  }
  if (reply.has_value()) {
    m.name = reply->name;
    m.payload = reply->payload;
  } else {
    m.name = status.ok() ? kSuccessReply : kFailureReply;
  }
  for (const auto& [key, value] : command.metadata) {
    if (absl::StartsWith(key, "COMMAND_") && key != "COMMAND_NAME") {
      m.metadata[absl::StrCat("REPLY_", key.substr(8))] = value;
    }
  }
  m.metadata[messaging::kReplyOutcome] = status.ok() ? "SUCCESS" : "FAILURE";
  if (!status.ok()) m.metadata["REPLY_ERROR"] = std::string(status.message());
  m.occurred_at = absl::Now();
  return m;
}

MessageHandler CommandAdapter(CommandHandler handler) {
  return [handler = std::move(handler)](UnitOfWork& uow,
                                        const messaging::Message& command) -> absl::Status {
    auto channel = command.metadata.find(messaging::kCommandReplyChannel);
    if (channel == command.metadata.end() || channel->second.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("command ", command.name, " (", command.id,
                                                     ") has no ", messaging::kCommandReplyChannel));
    }
    EDA_RETURN_IF_ERROR(uow.Savepoint("command"));
    CommandResult result = handler(uow, command);
    // The handler's deferred writes belong to its outcome: send them before deciding.
    if (absl::Status flushed = uow.Flush(); !flushed.ok()) result.status = flushed;
    if (Transient(result.status)) return result.status;
    if (result.status.ok()) {
      EDA_RETURN_IF_ERROR(uow.ReleaseSavepoint("command"));
    } else {
      // Forgets the effects and the messages the handler published before it failed.
      EDA_RETURN_IF_ERROR(uow.RollbackToSavepoint("command"));
    }
    return uow.Publish(ReplyTo(command, result.status, result.reply));
  };
}

}  // namespace eda::outbox
