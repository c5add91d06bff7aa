#include "libs/messaging/registry.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace eda::messaging {

void TypeRegistry::Add(const std::string& name, const google::protobuf::Message* prototype) {
  if (!types_.emplace(name, prototype).second) {
    std::fprintf(stderr, "message name %s registered twice\n", name.c_str());
    std::abort();
  }
}

bool TypeRegistry::Has(absl::string_view name) const { return types_.find(name) != types_.end(); }

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
