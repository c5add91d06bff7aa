// File: integration.h
// The one place where the baskets' domain events become their public integration messages
// (basketsapi.*, proto/baskets/baskets_api.proto); private events map to nothing.
#pragma once

#include <optional>
#include <string>

#include "libs/messaging/envelope.h"
#include "services/baskets/domain/basket.h"

namespace baskets::application {

// BasketStarted, BasketCanceled and BasketCheckedOut (with every line); adding and removing
// items publish nothing.
std::optional<eda::messaging::Message> BasketMessage(const std::string& basket_id,
                                                     const domain::BasketEvent& event);

}  // namespace baskets::application
