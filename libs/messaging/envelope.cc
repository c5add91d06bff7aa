#include "libs/messaging/envelope.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "proto/messaging/message_data.pb.h"
#include "proto/messaging/stream_message.pb.h"

namespace eda::messaging {
namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  ts.set_seconds(nanos / 1'000'000'000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  return ts;
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string ValueText(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return v.string_value();
    case google::protobuf::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case google::protobuf::Value::kNumberValue:
      return absl::StrCat(v.number_value());
    default:
      return "";
  }
}

}  // namespace

std::string EncodeEnvelope(const Message& message) {
  EventMessageData data;  // the three wrappers are identical on the wire
  data.set_payload(message.payload);
  *data.mutable_occurred_at() = ToProto(message.occurred_at);
  jetstream::StreamMessage envelope;
  envelope.set_id(message.id);
  envelope.set_name(message.name);
  envelope.set_data(data.SerializeAsString());
  auto& fields = *envelope.mutable_metadata()->mutable_fields();
  for (const auto& [key, value] : message.metadata) fields[key].set_string_value(value);
  *envelope.mutable_sent_at() = ToProto(message.sent_at);
  return envelope.SerializeAsString();
}

absl::StatusOr<Message> DecodeEnvelope(absl::string_view subject, absl::string_view body) {
  jetstream::StreamMessage envelope;
  if (!envelope.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("message on ", subject, " is not a jetstream.StreamMessage"));
  }
  if (envelope.id().empty() || envelope.name().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("message on ", subject, " has no ", envelope.id().empty() ? "id" : "name"));
  }
  EventMessageData data;
  if (!data.ParseFromString(envelope.data())) {
    return absl::InvalidArgumentError(
        absl::StrCat("message ", envelope.id(), " (", envelope.name(), "): undecodable data"));
  }
  Message m;
  m.id = envelope.id();
  m.name = envelope.name();
  m.subject = std::string(subject);
  m.payload = data.payload();
  m.occurred_at = FromProto(data.occurred_at());
  m.sent_at = FromProto(envelope.sent_at());
  for (const auto& [key, value] : envelope.metadata().fields()) m.metadata[key] = ValueText(value);
  return m;
}

}  // namespace eda::messaging
