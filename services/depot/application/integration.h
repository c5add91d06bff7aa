// File: integration.h
// The one place where the depot's domain events become public integration messages
// (depotapi.*, proto/depot/depot_api.proto): a completed list is published.
#pragma once

#include <optional>
#include <string>

#include "libs/messaging/envelope.h"
#include "services/depot/domain/shopping_list.h"

namespace depot::application {

std::optional<eda::messaging::Message> ShoppingListMessage(const std::string& list_id,
                                                           const domain::ShoppingListEvent& event);

}  // namespace depot::application
