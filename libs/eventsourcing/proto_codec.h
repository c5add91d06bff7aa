// File: proto_codec.h
// Codecs for domain events and snapshots declared as protobuf messages of a service's internal
// proto (never its public *_api.proto): an event's stored name is its message's full name, so a
// new event is declared once, in the .proto, and added to the aggregate's event variant.
//
//   using StoreEvent = std::variant<StoreCreated, StoreRebranded>;   // generated messages
//   es::Repository<Store> repo(es::ProtoEventCodec<StoreEvent>(),
//                              es::ProtoSnapshotCodec<StoreState>(), {.snapshot_every = 3});
//
// An upcast for an older payload version wraps the codec's decode.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "libs/eventsourcing/repository.h"

namespace eda::es {
namespace internal {

template <typename M>
absl::StatusOr<M> ParseStored(const std::string& name, const std::string& payload) {
  M message;
  if (!message.ParseFromString(payload)) {
    return absl::DataLossError(absl::StrCat("undecodable ", name));
  }
  return message;
}

template <typename V>
struct ProtoVariant;

template <typename... Ms>
struct ProtoVariant<std::variant<Ms...>> {
  using V = std::variant<Ms...>;

  static StoredEvent Encode(const V& event) {
    return std::visit(
        [](const auto& m) {
          return StoredEvent{.name = m.GetDescriptor()->full_name(),
                             .payload = m.SerializeAsString()};
        },
        event);
  }

  static absl::StatusOr<V> Decode(const StoredEvent& stored, const std::string& name) {
    std::optional<absl::StatusOr<V>> out;
    // The first alternative whose full name matches parses the payload.
    (void)((name == Ms::descriptor()->full_name() &&
            (out.emplace(ToVariant(ParseStored<Ms>(stored.name, stored.payload))), true)) ||
           ...);
    if (!out.has_value()) return absl::DataLossError("unknown event " + stored.name);
    return *std::move(out);
  }

 private:
  template <typename M>
  static absl::StatusOr<V> ToVariant(absl::StatusOr<M> parsed) {
    if (!parsed.ok()) return parsed.status();
    return V(*std::move(parsed));
  }
};

inline const std::string& CurrentName(const std::map<std::string, std::string>& legacy,
                                      const std::string& stored) {
  auto it = legacy.find(stored);
  return it == legacy.end() ? stored : it->second;
}

}  // namespace internal

// E is a std::variant of generated protobuf message types. `legacy_names` maps names events were
// stored under before to their messages' full names.
template <typename E>
EventCodec<E> ProtoEventCodec(std::map<std::string, std::string> legacy_names = {}) {
  return {.encode = &internal::ProtoVariant<E>::Encode,
          .decode = [legacy = std::move(legacy_names)](const StoredEvent& s) {
            return internal::ProtoVariant<E>::Decode(s, internal::CurrentName(legacy, s.name));
          }};
}

// S is a generated protobuf message type holding the aggregate's state.
template <typename S>
SnapshotCodec<S> ProtoSnapshotCodec(std::map<std::string, std::string> legacy_names = {}) {
  return {
      .encode =
          [](const S& state) {
            return StoredSnapshot{.name = S::descriptor()->full_name(),
                                  .payload = state.SerializeAsString()};
          },
      .decode = [legacy = std::move(legacy_names)](const StoredSnapshot& s) -> absl::StatusOr<S> {
        if (internal::CurrentName(legacy, s.name) != S::descriptor()->full_name()) {
          return absl::DataLossError("unknown snapshot " + s.name);
        }
        return internal::ParseStored<S>(s.name, s.payload);
      }};
}

// A Repository for A whose events (and snapshot, if it has one) are protobuf messages.
template <typename A>
Repository<A> ProtoRepository(RepositoryOptions options) {
  EventCodec<typename A::Event> events = ProtoEventCodec<typename A::Event>(options.legacy_names);
  if constexpr (HasSnapshot<A>::value) {
    auto snapshots = ProtoSnapshotCodec<typename A::Snapshot>(options.legacy_names);
    return Repository<A>(std::move(events), std::move(snapshots), std::move(options));
  } else {
    return Repository<A>(std::move(events), std::move(options));
  }
}

}  // namespace eda::es
