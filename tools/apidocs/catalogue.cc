#include "tools/apidocs/catalogue.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/subjects.h"
#include "proto/eda/options.pb.h"

namespace apidocs {
namespace {

Kind KindOf(const std::string& subject) {
  if (absl::StrContains(subject, ".replies.")) return Kind::kReply;
  if (absl::StrContains(subject, ".commands")) return Kind::kCommand;
  return Kind::kEvent;
}

void CollectMessages(const google::protobuf::Descriptor* type,
                     std::vector<std::unique_ptr<Message>>& out, std::vector<std::string>& errors) {
  const google::protobuf::MessageOptions& options = type->options();
  const std::string subject = options.GetExtension(eda::subject);
  for (int i = 0; i < options.ExtensionSize(eda::wire_name); ++i) {
    const std::string& name = options.GetExtension(eda::wire_name, i);
    if (subject.empty()) {
      errors.push_back(
          absl::StrCat(name, " (", type->full_name(),
                       ") declares no (eda.subject): which subject does it travel on?"));
      continue;
    }
    out.push_back(std::make_unique<Message>(Message{.name = name,
                                                    .type = type,
                                                    .subject = subject,
                                                    .kind = KindOf(subject),
                                                    .description = Comment(type)}));
  }
  for (int i = 0; i < type->nested_type_count(); ++i) {
    CollectMessages(type->nested_type(i), out, errors);
  }
}

}  // namespace

std::string CommentText(const std::string& raw) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(raw, '\n')) {
    absl::ConsumePrefix(&line, " ");
    lines.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  while (!lines.empty() && lines.front().empty()) lines.erase(lines.begin());
  return absl::StrJoin(lines, "\n");
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kEvent:
      return "event";
    case Kind::kCommand:
      return "command";
    case Kind::kReply:
      return "reply";
  }
  return "event";
}

const char* EnvelopeDataType(Kind kind) {
  switch (kind) {
    case Kind::kEvent:
      return "EventMessageData";
    case Kind::kCommand:
      return "CommandMessageData";
    case Kind::kReply:
      return "ReplyMessageData";
  }
  return "EventMessageData";
}

absl::StatusOr<Catalogue> Catalogue::Load(const std::string& protoset_path,
                                          const std::string& topology_path) {
  Catalogue c;
  EDA_ASSIGN_OR_RETURN(c.topology, eda::messaging::Topology::Load(topology_path));

  std::ifstream in(protoset_path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(protoset_path, ": cannot be read"));
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromIstream(&in)) {
    return absl::InvalidArgumentError(absl::StrCat(protoset_path, ": not a descriptor set"));
  }
  c.pool = std::make_unique<google::protobuf::DescriptorPool>();
  std::vector<std::string> errors;
  for (const google::protobuf::FileDescriptorProto& proto : set.file()) {
    const google::protobuf::FileDescriptor* file = c.pool->BuildFile(proto);
    if (file == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(protoset_path, ": ", proto.name(), " does not build"));
    }
    for (int i = 0; i < file->message_type_count(); ++i) {
      CollectMessages(file->message_type(i), c.messages, errors);
    }
    for (int i = 0; i < file->service_count(); ++i) {
      std::string context = file->package();
      if (absl::EndsWith(context, "pb")) context.resize(context.size() - 2);
      c.apis.push_back({.context = context, .service = file->service(i)});
    }
  }

  for (const auto& [service, subject] : c.topology.publishes) {
    Channel* channel = nullptr;
    for (Channel& existing : c.channels) {
      if (existing.address == subject) channel = &existing;
    }
    if (channel == nullptr) {
      channel = &c.channels.emplace_back();
      channel->address = subject;
      channel->kind = KindOf(subject);
      for (const auto& stream : c.topology.streams) {
        for (const std::string& pattern : stream.spec.subjects) {
          if (eda::messaging::SubjectMatches(pattern, subject)) channel->stream = &stream;
        }
      }
      if (channel->stream == nullptr) {
        errors.push_back(absl::StrCat(subject, " (published by ", service, ") is in no stream"));
      }
      for (const auto& consumer : c.topology.consumers) {
        if (eda::messaging::SubjectMatches(consumer.spec.filter_subject, subject)) {
          channel->consumers.push_back(&consumer);
        }
      }
      for (const auto& subscriber : c.topology.subscribers) {
        if (eda::messaging::SubjectMatches(subscriber.spec.filter_subject, subject)) {
          channel->subscribers.push_back(&subscriber);
        }
      }
    }
    channel->publishers.push_back(service);
  }
  for (const std::unique_ptr<Message>& message : c.messages) {
    Channel* channel = nullptr;
    for (Channel& existing : c.channels) {
      if (existing.address == message->subject) channel = &existing;
    }
    if (channel == nullptr) {
      errors.push_back(absl::StrCat(message->name, " travels on ", message->subject,
                                    ", which no service publishes to in the topology"));
      continue;
    }
    channel->messages.push_back(message.get());
  }
  for (const Channel& channel : c.channels) {
    if (channel.messages.empty()) {
      errors.push_back(absl::StrCat(channel.address, " (published by ",
                                    absl::StrJoin(channel.publishers, ", "),
                                    ") carries no message: no proto declares it as (eda.subject)"));
    }
  }
  if (!errors.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the catalogue is incomplete:\n  ", absl::StrJoin(errors, "\n  ")));
  }
  return c;
}

const Channel* Catalogue::FindChannel(const std::string& address) const {
  for (const Channel& channel : channels) {
    if (channel.address == address) return &channel;
  }
  return nullptr;
}

}  // namespace apidocs
