// File: messages.h
// The depot context's messages as other contexts and tools see them (spec §11): subjects, wire
// names, and their registration in a TypeRegistry for decoding.
#pragma once

#include "libs/messaging/registry.h"

namespace depot::api {

inline constexpr char kShoppingListSubject[] = "mallbots.depot.events.ShoppingList";
inline constexpr char kCommandsSubject[] = "mallbots.depot.commands";

// Wire names, as proto/depot/depot_api.proto declares them.
inline constexpr char kShoppingListCompleted[] = "depotapi.ShoppingListCompleted";
inline constexpr char kCreateShoppingList[] = "depotapi.CreateShoppingListCommand";
inline constexpr char kCancelShoppingList[] = "depotapi.CancelShoppingListCommand";
inline constexpr char kInitiateShopping[] = "depotapi.InitiateShoppingCommand";
inline constexpr char kCreatedShoppingList[] = "depotapi.CreatedShoppingListReply";

// Registers the messages of proto/depot/depot_api.proto under the names their (eda.wire_name)
// options declare: the names above (messages_test.cc checks that they agree).
void RegisterMessages(eda::messaging::TypeRegistry& registry);

}  // namespace depot::api
