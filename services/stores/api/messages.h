// File: messages.h
// The stores context's messages as other contexts and tools see them (spec §11): subjects, wire
// names, and their registration in a TypeRegistry for decoding.
#pragma once

#include "libs/messaging/registry.h"

namespace stores::api {

inline constexpr char kStoreSubject[] = "mallbots.stores.events.Store";
inline constexpr char kProductSubject[] = "mallbots.stores.events.Product";

// Wire names, as proto/stores/stores_api.proto declares them; for publishing and matching.
inline constexpr char kStoreCreated[] = "storesapi.StoreCreated";
inline constexpr char kStoreParticipatingToggled[] = "storesapi.StoreParticipatingToggled";
inline constexpr char kStoreRebranded[] = "storesapi.StoreRebranded";
inline constexpr char kProductAdded[] = "storesapi.ProductAdded";
inline constexpr char kProductRebranded[] = "storesapi.ProductRebranded";
inline constexpr char kProductPriceIncreased[] = "storesapi.ProductPriceIncreased";
inline constexpr char kProductPriceDecreased[] = "storesapi.ProductPriceDecreased";
inline constexpr char kProductRemoved[] = "storesapi.ProductRemoved";

// Registers the messages of proto/stores/stores_api.proto under the names their (eda.wire_name)
// options declare: the names above (messages_test.cc checks that the two agree).
void RegisterMessages(eda::messaging::TypeRegistry& registry);

}  // namespace stores::api
