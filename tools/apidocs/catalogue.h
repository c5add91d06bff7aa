// File: catalogue.h
// The system's public contract as one model, read from its two sources of truth: the descriptor
// set of the public protos (docs/mallbots.protoset: the contexts' gRPC APIs and integration
// messages, each message filed under its subject by the (eda.wire_name) and (eda.subject)
// options) and the messaging topology (deploy/topology.conf: streams, who publishes and consumes
// what, subscriber accounts). apidocs renders it as the AsyncAPI document and the HTML pages.
//
//   EDA_ASSIGN_OR_RETURN(apidocs::Catalogue c, apidocs::Catalogue::Load(protoset, topology));
//   for (const apidocs::Channel& channel : c.channels) ...
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/messaging/streams.h"

namespace apidocs {

enum class Kind { kEvent, kCommand, kReply };

// A message as it travels: its wire name (StreamMessage.name) and payload type.
struct Message {
  std::string name;  // "ordersapi.OrderCreated"
  const google::protobuf::Descriptor* type = nullptr;
  std::string subject;
  Kind kind = Kind::kEvent;
  std::string description;  // the payload type's leading comment
};

// A subject services publish to: a channel of the AsyncAPI document.
struct Channel {
  std::string address;  // "mallbots.ordering.events.Order"
  Kind kind = Kind::kEvent;
  const eda::messaging::Topology::Stream* stream = nullptr;  // the stream that takes it
  std::vector<std::string> publishers;                       // services
  std::vector<const eda::messaging::Topology::Consumer*> consumers;
  std::vector<const eda::messaging::Topology::Subscriber*> subscribers;
  std::vector<const Message*> messages;  // in the order of the protos
};

// A gRPC API of a context.
struct Api {
  std::string context;  // "stores"
  const google::protobuf::ServiceDescriptor* service = nullptr;
};

struct Catalogue {
  std::unique_ptr<google::protobuf::DescriptorPool> pool;
  eda::messaging::Topology topology;
  std::vector<std::unique_ptr<Message>> messages;
  std::vector<Channel> channels;  // in the topology's order of publish lines
  std::vector<Api> apis;          // in the descriptor set's order (the topology's contexts)

  // Errors: NotFound/InvalidArgument for an unreadable set or topology; FailedPrecondition
  // listing every message with a wire name but no subject, or a subject no service publishes
  // to, and every published subject without a message (the catalogue would be incomplete).
  static absl::StatusOr<Catalogue> Load(const std::string& protoset_path,
                                        const std::string& topology_path);

  const Channel* FindChannel(const std::string& address) const;
};

// A comment as protoc keeps it (" line\n line\n") as text: lines joined by '\n', trimmed.
std::string CommentText(const std::string& raw);

// The leading comment of a descriptor (the descriptor set carries source info), or its trailing
// one; "" when it has none.
template <typename D>
std::string Comment(const D* descriptor) {
  google::protobuf::SourceLocation where;
  if (descriptor == nullptr || !descriptor->GetSourceLocation(&where)) return "";
  return CommentText(where.leading_comments.empty() ? where.trailing_comments
                                                    : where.leading_comments);
}

const char* KindName(Kind kind);  // "event", "command", "reply"
// The envelope data type that wraps a payload of `kind` ("EventMessageData", ...).
const char* EnvelopeDataType(Kind kind);

}  // namespace apidocs
