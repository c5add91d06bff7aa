// File: messages.h
// The baskets context's messages as other contexts and tools see them (spec §11): the subject,
// the wire names, and their registration in a TypeRegistry for decoding.
#pragma once

#include "libs/messaging/registry.h"

namespace baskets::api {

inline constexpr char kBasketSubject[] = "mallbots.baskets.events.Basket";

// Wire names, as proto/baskets/baskets_api.proto declares them.
inline constexpr char kBasketStarted[] = "basketsapi.BasketStarted";
inline constexpr char kBasketCanceled[] = "basketsapi.BasketCanceled";
inline constexpr char kBasketCheckedOut[] = "basketsapi.BasketCheckedOut";

// Registers the messages of proto/baskets/baskets_api.proto under the names their
// (eda.wire_name) options declare: the names above (messages_test.cc checks that they agree).
void RegisterMessages(eda::messaging::TypeRegistry& registry);

}  // namespace baskets::api
