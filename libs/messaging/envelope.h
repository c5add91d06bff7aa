// File: envelope.h
// A message as the application sees it, and its wire form (spec §3.2): a jetstream.StreamMessage
// whose `data` wraps the named message's protobuf payload, with Nats-Msg-Id = id.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace eda::messaging {

// Metadata keys of spec §3.3.
inline constexpr char kTraceparent[] = "traceparent";
inline constexpr char kCommandReplyChannel[] = "COMMAND_REPLY_CHANNEL";
inline constexpr char kCommandSagaId[] = "COMMAND_SAGA_ID";
inline constexpr char kCommandSagaName[] = "COMMAND_SAGA_NAME";
inline constexpr char kReplyOutcome[] = "REPLY_OUTCOME";

struct Message {
  std::string id;       // UUID; also the Nats-Msg-Id header
  std::string name;     // e.g. "storesapi.StoreCreated"
  std::string subject;  // e.g. "mallbots.stores.events.Store"
  std::string payload;  // serialized protobuf of the named message ("" for am.Success/Failure)
  std::map<std::string, std::string> metadata;
  absl::Time sent_at = absl::UnixEpoch();
  absl::Time occurred_at = absl::UnixEpoch();
  // The aggregate the message is about ("" for commands and replies). The relay publishes an
  // aggregate's messages in the order they were written, one at a time, and the outbox numbers
  // them 1, 2, 3, ... per aggregate; both travel as headers (kAggregateIdHeader,
  // kAggregateSeqHeader), not in the envelope, and are filled in for consumers.
  std::string aggregate_id;
  uint64_t aggregate_seq = 0;  // 0: not numbered (written before numbering existed, or none)
};

inline constexpr char kAggregateIdHeader[] = "Mallbots-Aggregate-Id";
inline constexpr char kAggregateSeqHeader[] = "Mallbots-Aggregate-Seq";

// The body published to NATS: a serialized jetstream.StreamMessage.
std::string EncodeEnvelope(const Message& message);

// Parses a body received on `subject`. Errors: InvalidArgument when it is not a StreamMessage or
// lacks an id or a name. Metadata values that are not strings (numbers, booleans, after a trip
// through JSON) are rendered as text.
absl::StatusOr<Message> DecodeEnvelope(absl::string_view subject, absl::string_view body);

}  // namespace eda::messaging
