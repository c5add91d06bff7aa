// File: registry.h
// The type registry: message name -> protobuf type, for encoding and decoding payloads.
//
// Integration messages declare their names in their .proto (the (eda.wire_name) option of
// proto/eda/options.proto), so a context registers its whole API file at once:
//
//   TypeRegistry registry;
//   registry.RegisterAnnotated(storespb::StoreCreated::descriptor()->file());
//   EDA_ASSIGN_OR_RETURN(auto created,
//                        registry.DecodeAs<storespb::StoreCreated>(message.name, message.payload));
//
// Register everything at startup; after that the registry is read-only and thread-safe.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eda::messaging {

class TypeRegistry final {
 public:
  // Registers `name` for protobuf type T. Registering a name twice is a programming error and
  // aborts.
  template <typename T>
  void Register(const std::string& name) {
    Add(name, &T::default_instance());
  }
  // Names without a payload (am.Success, am.Failure).
  void RegisterEmpty(const std::string& name) { Add(name, nullptr); }
  // Registers every message of `file`, nested ones included, under each name its
  // (eda.wire_name) options declare; messages without the option are not registered. Instances
  // come from `factory`: the generated classes by default, or e.g. a DynamicMessageFactory for a
  // pool built at run time, which must then outlive the registry. A name registered twice, or a
  // type `factory` cannot make, is a programming error and aborts.
  void RegisterAnnotated(const google::protobuf::FileDescriptor* file,
                         google::protobuf::MessageFactory* factory =
                             google::protobuf::MessageFactory::generated_factory());

  bool Has(absl::string_view name) const;
  // Every registered name, sorted.
  std::vector<std::string> Names() const;

  // Parses `payload` as the type registered for `name`. Errors: NotFound for an unknown name,
  // InvalidArgument for bytes that do not parse. Names registered empty decode to nullptr.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Decode(
      absl::string_view name, absl::string_view payload) const;

  // Decodes into T, checking that T is the registered type.
  template <typename T>
  absl::StatusOr<T> DecodeAs(absl::string_view name, absl::string_view payload) const {
    absl::StatusOr<std::unique_ptr<google::protobuf::Message>> m = Decode(name, payload);
    if (!m.ok()) return m.status();
    T* typed = dynamic_cast<T*>(m->get());
    if (typed == nullptr) return WrongType(name, T::descriptor()->full_name());
    return std::move(*typed);
  }

 private:
  void Add(const std::string& name, const google::protobuf::Message* prototype);
  void AddAnnotated(const google::protobuf::Descriptor* type,
                    google::protobuf::MessageFactory* factory);
  static absl::Status WrongType(absl::string_view name, const std::string& wanted);

  std::map<std::string, const google::protobuf::Message*, std::less<>> types_;
};

}  // namespace eda::messaging
