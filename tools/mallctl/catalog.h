// File: catalog.h
// What mallctl knows about the system: the gRPC services it can call (by short name, "stores")
// and the message names it can decode.
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "libs/messaging/registry.h"

namespace mallctl {

// The service descriptor for a short name ("stores") or a full one ("storespb.StoresService");
// nullptr when unknown.
const google::protobuf::ServiceDescriptor* FindService(const std::string& name);
// The short names, for help and error messages.
std::vector<std::string> ServiceNames();

// Every message name of every context, with am.Success / am.Failure.
const eda::messaging::TypeRegistry& Messages();

}  // namespace mallctl
