#include "tools/mallctl/render.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "tools/mallctl/catalog.h"

namespace mallctl {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::util::JsonPrintOptions PrintOptions(bool pretty, bool zero_values) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = zero_values;
  options.add_whitespace = pretty;
  return options;
}

void CopyHeaders(natsMsg* msg, google::protobuf::Map<std::string, std::string>& out) {
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) != NATS_OK) return;
  for (int i = 0; i < count; ++i) {
    const char** values = nullptr;
    int n = 0;
    if (natsMsgHeader_Values(msg, keys[i], &values, &n) != NATS_OK) continue;
    std::vector<absl::string_view> all(values, values + n);
    out[keys[i]] = absl::StrJoin(all, ", ");  // several values of one header, as HTTP joins them
    free(values);
  }
  free(keys);
}

}  // namespace

std::string ToJson(const google::protobuf::Message& m, bool pretty, bool zero_values) {
  std::string out;
  // Cannot fail for the messages printed here (no Any fields to resolve).
  (void)google::protobuf::util::MessageToJsonString(m, &out, PrintOptions(pretty, zero_values));
  if (pretty && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

MessageLine DescribeMessage(const std::string& stream, uint64_t seq, int64_t stored_ns,
                            natsMsg* msg, bool with_headers) {
  MessageLine line;
  line.set_stream(stream);
  line.set_seq(seq);
  line.set_subject(natsMsg_GetSubject(msg));
  if (stored_ns > 0) *line.mutable_stored_at() = TimeUtil::NanosecondsToTimestamp(stored_ns);
  if (with_headers) CopyHeaders(msg, *line.mutable_headers());
  const absl::string_view body(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  absl::StatusOr<eda::messaging::Message> m = eda::messaging::DecodeEnvelope(line.subject(), body);
  if (!m.ok()) {
    line.set_error(std::string(m.status().message()));
    line.set_body_raw(std::string(body));
    return line;
  }
  line.set_id(m->id);
  line.set_name(m->name);
  *line.mutable_sent_at() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(m->sent_at));
  for (const auto& [k, v] : m->metadata) (*line.mutable_metadata())[k] = v;
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> payload =
      Messages().Decode(m->name, m->payload);
  if (!payload.ok()) {
    if (!absl::IsNotFound(payload.status()))
      line.set_error(std::string(payload.status().message()));
    line.set_payload_raw(m->payload);
    return line;
  }
  if (*payload == nullptr) return line;  // a name without payload (am.Success, am.Failure)
  std::string json;
  auto s = google::protobuf::util::MessageToJsonString(**payload, &json, PrintOptions(false, true));
  if (s.ok()) s = google::protobuf::util::JsonStringToMessage(json, line.mutable_payload());
  if (!s.ok()) {
    line.set_error(std::string(s.message()));
    line.set_payload_raw(m->payload);
  }
  return line;
}

DeadLetter DescribeDeadLetter(natsMsg* msg, bool with_message) {
  DeadLetter d;
  d.set_seq(natsMsg_GetSequence(msg));
  if (natsMsg_GetTime(msg) > 0)
    *d.mutable_stored_at() = TimeUtil::NanosecondsToTimestamp(natsMsg_GetTime(msg));
  d.set_consumer(eda::messaging::Header(msg, "Mallbots-Dead-Consumer"));
  d.set_reason(eda::messaging::Header(msg, "Mallbots-Dead-Reason"));
  uint32_t deliveries = 0;
  if (absl::SimpleAtoi(eda::messaging::Header(msg, "Mallbots-Dead-Deliveries"), &deliveries)) {
    d.set_deliveries(deliveries);
  }
  d.set_stream(eda::messaging::Header(msg, "Mallbots-Dead-Stream"));
  uint64_t stream_seq = 0;
  if (absl::SimpleAtoi(eda::messaging::Header(msg, "Mallbots-Dead-Stream-Seq"), &stream_seq)) {
    d.set_stream_seq(stream_seq);
  }
  d.set_subject(eda::messaging::Header(msg, "Mallbots-Dead-Subject"));
  d.set_original_msg_id(eda::messaging::Header(msg, "Mallbots-Dead-Original-Msg-Id"));
  MessageLine m = DescribeMessage("DEADLETTER", d.seq(), natsMsg_GetTime(msg), msg, with_message);
  d.set_name(m.name());
  if (with_message) *d.mutable_message() = std::move(m);
  return d;
}

}  // namespace mallctl
