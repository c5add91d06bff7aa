// File: registry.h
// The type registry: message name -> protobuf type, for encoding and decoding payloads.
//
//   TypeRegistry registry;
//   registry.Register<storespb::StoreCreated>("storesapi.StoreCreated");
//   EDA_ASSIGN_OR_RETURN(auto msg, registry.Decode(message.name, message.payload));
//   auto* created = static_cast<storespb::StoreCreated*>(msg.get());
//
// Register everything at startup; after that the registry is read-only and thread-safe.
#pragma once

#include <google/protobuf/message.h>

#include <map>
#include <memory>
#include <string>

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

  bool Has(absl::string_view name) const;

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
  static absl::Status WrongType(absl::string_view name, const std::string& wanted);

  std::map<std::string, const google::protobuf::Message*, std::less<>> types_;
};

}  // namespace eda::messaging
