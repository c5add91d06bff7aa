// File: commands.h
// Commands and replies (spec §3.3). A command carries its reply channel and saga identity in its
// metadata; the command-handling adapter answers every command with exactly one reply, written
// to the outbox in the same transaction as the command's effects.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "libs/messaging/envelope.h"
#include "libs/outbox/inbox.h"
#include "libs/outbox/unit_of_work.h"

namespace eda::outbox {

inline constexpr char kSuccessReply[] = "am.Success";
inline constexpr char kFailureReply[] = "am.Failure";

struct Command {
  std::string subject;        // e.g. "mallbots.customers.commands"
  std::string name;           // e.g. "customersapi.AuthorizeCustomer"
  std::string payload;        // serialized protobuf
  std::string reply_channel;  // e.g. "mallbots.cosec.replies.CreateOrder"
  std::string saga_id;
  std::string saga_name;  // e.g. "cosec.CreateOrder"
  // More COMMAND_* keys (the saga's step and command id); replies carry them back as REPLY_*.
  std::map<std::string, std::string> metadata;
  std::string id;  // the message id; empty: a new one
};

// Sends a command through the unit of work's outbox; returns the command's message id.
absl::StatusOr<std::string> SendCommand(UnitOfWork& uow, const Command& command);

struct Reply {
  std::string name;  // a specific reply, e.g. "depotapi.CreatedShoppingListReply"
  std::string payload;
};

// What a command handler returns: its error (if any) and, optionally, a specific reply. With no
// specific reply, the adapter answers am.Success or am.Failure.
struct CommandResult {
  absl::Status status;
  std::optional<Reply> reply;
};

using CommandHandler = std::function<CommandResult(UnitOfWork&, const messaging::Message&)>;

// The reply to `command` as the adapter below sends it: to its COMMAND_REPLY_CHANNEL, named after
// `reply` (or am.Success / am.Failure by `status`), every COMMAND_* key (but COMMAND_NAME) copied
// as REPLY_*, REPLY_OUTCOME, and REPLY_ERROR with the status's message on failure. Also for tests
// that play a participant.
messaging::Message ReplyTo(const messaging::Message& command, const absl::Status& status,
                           const std::optional<Reply>& reply = std::nullopt);

// Wraps a command handler as a MessageHandler for TransactionalHandler():
// - the handler runs inside a savepoint; a business failure rolls back its effects but the
//   failure reply is still written (REPLY_OUTCOME=FAILURE) and the command is acked;
// - failures of the infrastructure and unexpected ones (what messaging::Outcome::ForError waits
//   on or retries: Unavailable, Aborted, DeadlineExceeded, ResourceExhausted, Cancelled,
//   Internal, Unknown) are returned instead, so
//   the whole command is retried and exactly one reply is eventually written; business
//   handlers report business failures with InvalidArgument, FailedPrecondition, NotFound, ...;
// - the reply goes to COMMAND_REPLY_CHANNEL with every COMMAND_* key (but COMMAND_NAME) copied
//   as REPLY_*; a command without a reply channel is InvalidArgument (dead-lettered).
MessageHandler CommandAdapter(CommandHandler handler);

}  // namespace eda::outbox
