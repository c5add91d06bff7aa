#include "tools/apidocs/asyncapi.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "tools/apidocs/yaml.h"

namespace apidocs {
namespace {

namespace pb = ::google::protobuf;

constexpr char kEnvelope[] = "jetstream.StreamMessage";

constexpr char kGuarantees[] =
    R"(Every message is a protobuf `jetstream.StreamMessage` (the envelope, components/schemas): its
`name` is the message name below, its `data` an `EventMessageData`, `CommandMessageData` or
`ReplyMessageData` (by the channel's kind) whose `payload` is the protobuf of the message's
payload type, and its `metadata` carries the trace context (`traceparent`, `tracestate`) and, on
commands and replies, the saga's routing keys.

Delivery guarantees:
- **At least once.** Services publish from a transactional outbox: a message is published after
  the change that made it is committed, and again until JetStream acknowledges it. A consumer
  that does not acknowledge a message gets it again.
- **Duplicates carry the same message id.** Every copy of a message has the same `Nats-Msg-Id`
  header (= the envelope's `id`); JetStream drops copies published within a stream's duplicate
  window, and a consumer drops those it has already processed by that id.
- **Per-aggregate order.** The events of one aggregate (an order, a store) are published in the
  order they happened, numbered 1, 2, 3, ... in `Mallbots-Aggregate-Seq`; one durable delivers
  a subject's messages in stream order. There is no order across aggregates' subjects or
  streams.
- **Kept in full.** Event streams keep every message (read models are rebuilt from them);
  commands, replies and dead letters are bounded (each channel names its stream's limits).

Subscribers read through durables declared for their account (`subscriber` lines of
deploy/topology.conf), which the stream's owner provisions; `mallctl subscriber <name>` prints
an account's connection settings.)";

// The schema of a field's type, without its repetition.
Yaml TypeSchema(const pb::FieldDescriptor* field) {
  Yaml schema = Yaml::Map();
  switch (field->type()) {
    case pb::FieldDescriptor::TYPE_STRING:
      schema.Set("type", "string");
      break;
    case pb::FieldDescriptor::TYPE_BYTES:
      schema.Set("type", "string");
      schema.Set("contentEncoding", "base64");
      break;
    case pb::FieldDescriptor::TYPE_BOOL:
      schema.Set("type", "boolean");
      break;
    case pb::FieldDescriptor::TYPE_DOUBLE:
    case pb::FieldDescriptor::TYPE_FLOAT:
      schema.Set("type", "number");
      schema.Set("format", field->type() == pb::FieldDescriptor::TYPE_DOUBLE ? "double" : "float");
      break;
    case pb::FieldDescriptor::TYPE_ENUM: {
      schema.Set("type", "string");
      Yaml& values = schema.Set("enum", Yaml::List());
      for (int i = 0; i < field->enum_type()->value_count(); ++i) {
        values.Add(field->enum_type()->value(i)->name());
      }
      break;
    }
    case pb::FieldDescriptor::TYPE_MESSAGE:
    case pb::FieldDescriptor::TYPE_GROUP: {
      const std::string& type = field->message_type()->full_name();
      if (type == "google.protobuf.Timestamp") {
        schema.Set("type", "string");
        schema.Set("format", "date-time");
      } else if (type == "google.protobuf.Struct") {
        schema.Set("type", "object");
        schema.Set("additionalProperties", Yaml::Map()).Set("type", "string");
      } else {
        schema.Set("$ref", "#/components/schemas/" + type);
      }
      break;
    }
    default: {  // the integer types
      const bool wide = field->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64 ||
                        field->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64;
      schema.Set("type", "integer");
      schema.Set("format", wide ? "int64" : "int32");
      break;
    }
  }
  return schema;
}

// The message types a payload type refers to, itself included, in a stable order.
void Reachable(const pb::Descriptor* type, std::vector<const pb::Descriptor*>& out,
               std::set<std::string>& seen) {
  if (!seen.insert(type->full_name()).second) return;
  out.push_back(type);
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    const pb::Descriptor* nested = field->is_map()
                                       ? field->message_type()->map_value()->message_type()
                                       : field->message_type();
    if (nested == nullptr || nested->full_name() == "google.protobuf.Timestamp" ||
        nested->full_name() == "google.protobuf.Struct") {
      continue;
    }
    Reachable(nested, out, seen);
  }
}

Yaml ObjectSchema(const pb::Descriptor* type) {
  Yaml schema = Yaml::Map();
  schema.Set("type", "object");
  schema.Set("title", type->full_name());
  if (std::string comment = Comment(type); !comment.empty()) schema.Set("description", comment);
  Yaml& properties = schema.Set("properties", Yaml::Map());
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    Yaml property = Yaml::Map();
    if (field->is_map()) {
      property.Set("type", "object");
      property.Set("additionalProperties", TypeSchema(field->message_type()->map_value()));
    } else if (field->is_repeated()) {
      property.Set("type", "array");
      property.Set("items", TypeSchema(field));
    } else {
      property = TypeSchema(field);
    }
    if (std::string comment = Comment(field); !comment.empty()) {
      property.Set("description", comment);
    }
    property.Set("x-protobuf-field", Yaml::Raw(std::to_string(field->number())));
    properties.Set(field->name(), std::move(property));
  }
  return schema;
}

// A channel's key: its address with '-' doubled, then '.' as '-' (subjects have no empty
// tokens, so two addresses never share a key), wildcards spelled out.
std::string ChannelId(const std::string& address) {
  return absl::StrReplaceAll(absl::StrReplaceAll(address, {{"-", "--"}}),
                             {{".", "-"}, {"*", "any"}, {">", "all"}});
}

// "an event", "a command", "a reply".
std::string WithArticle(Kind kind) {
  return absl::StrCat(kind == Kind::kEvent ? "an " : "a ", KindName(kind));
}

std::string Retention(const eda::messaging::StreamSpec& spec) {
  std::vector<std::string> limits;
  if (spec.max_age > absl::ZeroDuration()) {
    limits.push_back(absl::StrCat("max age ", absl::FormatDuration(spec.max_age)));
  }
  if (spec.max_bytes > 0) limits.push_back(absl::StrCat("max bytes ", spec.max_bytes));
  if (limits.empty()) return "keeps every message";
  return absl::StrCat(absl::StrJoin(limits, ", "), "; when full it ",
                      spec.discard_new ? "refuses new messages (the publishers' outboxes keep them)"
                                       : "drops the oldest");
}

std::string ChannelDescription(const Channel& channel) {
  std::string text = absl::StrCat("The ", KindName(channel.kind), "s of ",
                                  absl::StrJoin(channel.publishers, ", "), ".");
  if (channel.stream != nullptr) {
    absl::StrAppend(&text, "\n\nStream `", channel.stream->spec.name, "` (",
                    channel.stream->owner == eda::messaging::Topology::kShared
                        ? std::string("every consuming service ensures it")
                        : "owned by " + channel.stream->owner,
                    "): ", Retention(channel.stream->spec), "; duplicate window ",
                    absl::FormatDuration(channel.stream->spec.duplicates), ".");
  }
  std::vector<std::string> consumers;
  for (const auto* consumer : channel.consumers) {
    consumers.push_back(
        absl::StrCat(consumer->service, " (durable `", consumer->spec.durable, "`)"));
  }
  if (!consumers.empty())
    absl::StrAppend(&text, "\n\nConsumed by ", absl::StrJoin(consumers, ", "), ".");
  std::vector<std::string> subscribers;
  for (const auto* subscriber : channel.subscribers) {
    subscribers.push_back(
        absl::StrCat(subscriber->name, " (durable `", subscriber->spec.durable, "`)"));
  }
  if (!subscribers.empty()) {
    absl::StrAppend(&text, "\n\nSubscriber accounts: ", absl::StrJoin(subscribers, ", "), ".");
  }
  return text;
}

Yaml Headers(Kind kind) {
  Yaml headers = Yaml::Map();
  headers.Set("type", "object");
  headers.Set("description", "NATS message headers.");
  Yaml& properties = headers.Set("properties", Yaml::Map());
  Yaml& id = properties.Set("Nats-Msg-Id", Yaml::Map());
  id.Set("type", "string");
  id.Set("format", "uuid");
  id.Set("description",
         "The message id (= the envelope's id): every copy of a message carries the same one; "
         "JetStream de-duplicates by it, and so should a subscriber.");
  if (kind == Kind::kEvent) {
    Yaml& aggregate = properties.Set("Mallbots-Aggregate-Id", Yaml::Map());
    aggregate.Set("type", "string");
    aggregate.Set("description", "The aggregate the event is about (an order's id, a store's).");
    Yaml& seq = properties.Set("Mallbots-Aggregate-Seq", Yaml::Map());
    seq.Set("type", "string");
    seq.Set("pattern", "^[1-9][0-9]*$");
    seq.Set("description",
            "The event's number within its aggregate: 1, 2, 3, ... in the order they happened.");
  }
  Yaml& required = headers.Set("required", Yaml::List());
  required.Add("Nats-Msg-Id");
  return headers;
}

}  // namespace

std::string FieldTypeName(const pb::FieldDescriptor* field) {
  if (field->is_map()) {
    return absl::StrCat("map<", FieldTypeName(field->message_type()->map_key()), ", ",
                        FieldTypeName(field->message_type()->map_value()), ">");
  }
  std::string name;
  if (field->message_type() != nullptr) {
    name = field->message_type()->full_name();
  } else if (field->enum_type() != nullptr) {
    name = field->enum_type()->full_name();
  } else {
    name = field->type_name();
  }
  return field->is_repeated() ? "repeated " + name : name;
}

std::string AsyncApiYaml(const Catalogue& catalogue, const DocumentInfo& info) {
  Yaml doc = Yaml::Map();
  doc.Set("asyncapi", "3.0.0");
  Yaml& head = doc.Set("info", Yaml::Map());
  head.Set("title", "MallBots event streams");
  head.Set("version", info.version);
  head.Set("description", kGuarantees);
  doc.Set("defaultContentType", "application/x-protobuf");
  Yaml& server = doc.Set("servers", Yaml::Map()).Set("local", Yaml::Map());
  std::string host = info.nats_url;
  if (auto scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
  server.Set("host", host);
  server.Set("protocol", "nats");
  server.Set("description",
             "The local stack's nats-server (`make up`; MALLBOTS_NATS_URL in .mallbots/stack.env). "
             "Subscribers authenticate with their account's user and password.");

  Yaml& channels = doc.Set("channels", Yaml::Map());
  Yaml& operations = doc.Set("operations", Yaml::Map());
  Yaml& components = doc.Set("components", Yaml::Map());
  Yaml& schemas = components.Set("schemas", Yaml::Map());
  Yaml& messages = components.Set("messages", Yaml::Map());

  std::vector<const pb::Descriptor*> types;
  std::set<std::string> seen;
  if (const pb::Descriptor* envelope = catalogue.pool->FindMessageTypeByName(kEnvelope)) {
    Reachable(envelope, types, seen);
  }
  for (Kind kind : {Kind::kEvent, Kind::kCommand, Kind::kReply}) {
    if (const pb::Descriptor* data =
            catalogue.pool->FindMessageTypeByName(EnvelopeDataType(kind))) {
      Reachable(data, types, seen);
    }
  }
  for (const Channel& channel : catalogue.channels) {
    const std::string id = ChannelId(channel.address);
    Yaml& c = channels.Set(id, Yaml::Map());
    c.Set("address", channel.address);
    c.Set("title", absl::StrCat(channel.address, " (", KindName(channel.kind), "s)"));
    c.Set("description", ChannelDescription(channel));
    Yaml& channel_messages = c.Set("messages", Yaml::Map());
    Yaml& operation = operations.Set("receive-" + id, Yaml::Map());
    operation.Set("action", "receive");
    operation.Set("channel", Yaml::Map()).Set("$ref", "#/channels/" + id);
    operation.Set("summary", absl::StrCat("Read the ", KindName(channel.kind), "s on ",
                                          channel.address, " through a durable."));
    Yaml& operation_messages = operation.Set("messages", Yaml::List());
    for (const Message* message : channel.messages) {
      channel_messages.Set(message->name, Yaml::Map())
          .Set("$ref", "#/components/messages/" + message->name);
      operation_messages.Add(Yaml::Map())
          .Set("$ref", absl::StrCat("#/channels/", id, "/messages/", message->name));
      Reachable(message->type, types, seen);

      Yaml& m = messages.Set(message->name, Yaml::Map());
      m.Set("name", message->name);
      m.Set("title", message->name);
      std::string summary = WithArticle(message->kind);
      summary[0] = 'A';
      m.Set("summary", absl::StrCat(summary, " on ", message->subject, "; payload ",
                                    message->type->full_name(), "."));
      if (!message->description.empty()) m.Set("description", message->description);
      m.Set("contentType", "application/x-protobuf");
      m.Set("headers", Yaml::Map())
          .Set("$ref", absl::StrCat("#/components/schemas/headers-", KindName(message->kind)));
      m.Set("payload", Yaml::Map())
          .Set("$ref", "#/components/schemas/" + message->type->full_name());
      m.Set("x-envelope", absl::StrCat(kEnvelope, " name=", message->name,
                                       ", data=", EnvelopeDataType(message->kind),
                                       " payload=", message->type->full_name()));
    }
  }
  for (Kind kind : {Kind::kEvent, Kind::kCommand, Kind::kReply}) {
    schemas.Set(absl::StrCat("headers-", KindName(kind)), Headers(kind));
  }
  for (const pb::Descriptor* type : types) schemas.Set(type->full_name(), ObjectSchema(type));
  return "# Generated by tools/apidocs from deploy/topology.conf and the public protos: do not "
         "edit.\n" +
         doc.Dump();
}

}  // namespace apidocs
