// File: integration.h
// The one place where the ordering domain events become their public integration messages
// (ordersapi.*, proto/ordering/ordering_api.proto): all six are published.
#pragma once

#include <optional>
#include <string>

#include "libs/messaging/envelope.h"
#include "services/ordering/domain/order.h"

namespace ordering::application {

std::optional<eda::messaging::Message> OrderMessage(const std::string& order_id,
                                                    const domain::OrderEvent& event);

}  // namespace ordering::application
