#include "libs/messaging/registry.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "proto/eda/options.pb.h"

namespace eda::messaging {

void TypeRegistry::Add(const std::string& name, const google::protobuf::Message* prototype) {
  if (!types_.emplace(name, prototype).second) {
    std::fprintf(stderr, "message name %s registered twice\n", name.c_str());
    std::abort();
  }
}

void TypeRegistry::RegisterAnnotated(const google::protobuf::FileDescriptor* file,
                                     google::protobuf::MessageFactory* factory) {
  for (int i = 0; i < file->message_type_count(); ++i) AddAnnotated(file->message_type(i), factory);
}

void TypeRegistry::AddAnnotated(const google::protobuf::Descriptor* type,
                                google::protobuf::MessageFactory* factory) {
  const int names = type->options().ExtensionSize(eda::wire_name);
  if (names > 0) {
    const google::protobuf::Message* prototype = factory->GetPrototype(type);
    if (prototype == nullptr) {
      std::fprintf(stderr, "no message factory for %s\n", type->full_name().c_str());
      std::abort();
    }
    for (int i = 0; i < names; ++i) Add(type->options().GetExtension(eda::wire_name, i), prototype);
  }
  for (int i = 0; i < type->nested_type_count(); ++i) AddAnnotated(type->nested_type(i), factory);
}

bool TypeRegistry::Has(absl::string_view name) const { return types_.find(name) != types_.end(); }

std::vector<std::string> TypeRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(types_.size());
  for (const auto& entry : types_) names.push_back(entry.first);
  return names;
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> TypeRegistry::Decode(
    absl::string_view name, absl::string_view payload) const {
  auto it = types_.find(name);
  if (it == types_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown message name ", name));
  }
  if (it->second == nullptr) return std::unique_ptr<google::protobuf::Message>();
  std::unique_ptr<google::protobuf::Message> m(it->second->New());
  if (!m->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload of ", name, " is not a valid ", it->second->GetTypeName()));
  }
  return m;
}

absl::Status TypeRegistry::WrongType(absl::string_view name, const std::string& wanted) {
  return absl::InvalidArgumentError(absl::StrCat(name, " is not registered as ", wanted));
}

}  // namespace eda::messaging
