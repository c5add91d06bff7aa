// File: catalog.h
// What mallctl knows about the system: the gRPC services it can call (by short name, "stores")
// and the message names it can decode. Both come from the descriptor set of the contexts' public
// protos embedded at build time (eda_embed_descriptor_set: proto/<context>/<context>_service.proto
// and _api.proto of each service deploy/topology.conf names), so mallctl links no context's code
// and a new context needs no edit here.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <string_view>
#include <vector>

#include "libs/messaging/registry.h"

namespace mallctl {

// The service descriptor for a short name ("stores": the package without its "pb" suffix) or a
// full one ("storespb.StoresService"); nullptr when unknown.
const google::protobuf::ServiceDescriptor* FindService(const std::string& name);
// The names of every service, in the topology's order of contexts: the short name, or the full
// one when another service of the package already has the short name.
std::vector<std::string> ServiceNames();

// The empty instance of `type`, a message of one of the catalogue's services.
const google::protobuf::Message& Prototype(const google::protobuf::Descriptor* type);

// adminpb.AdminService, the operator surface every service serves on its admin port (its
// messages come from the generated code linked in, Prototype() makes them too).
const google::protobuf::ServiceDescriptor* AdminService();

// Every message name declared with (eda.wire_name) in the public protos, with am.Success /
// am.Failure; payloads decode to messages of the catalogue's pool.
const eda::messaging::TypeRegistry& Messages();

// The serialized google.protobuf.FileDescriptorSet behind the catalogue (generated).
std::string_view DescriptorSet();

}  // namespace mallctl
