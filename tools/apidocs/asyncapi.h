// File: asyncapi.h
// The catalogue as an AsyncAPI 3.0 document: a channel per subject services publish to (its
// stream, publishers, consumers and subscriber durables), every message name with its payload
// schema (JSON Schema of the protobuf type, field numbers as x-protobuf-field), the envelope, the
// headers, and the delivery guarantees.
#pragma once

#include <string>

#include "tools/apidocs/catalogue.h"

namespace apidocs {

struct DocumentInfo {
  std::string version;   // the project's version
  std::string nats_url;  // the server the document names ("nats://127.0.0.1:54222")
};

std::string AsyncApiYaml(const Catalogue& catalogue, const DocumentInfo& info);

// The JSON Schema type of a protobuf field (without its repetition): {"type": "string"}, a $ref
// to components/schemas/<full name> for a message, ... Shared with the HTML pages, which show
// it as text.
std::string FieldTypeName(const google::protobuf::FieldDescriptor* field);

}  // namespace apidocs
