// File: integration.h
// The one place where the customers' domain events become their public integration messages
// (customersapi.*, proto/customers/customers_api.proto).
#pragma once

#include <optional>
#include <string>

#include "libs/messaging/envelope.h"
#include "services/customers/domain/customer.h"

namespace customers::application {

std::optional<eda::messaging::Message> CustomerMessage(const std::string& customer_id,
                                                       const domain::CustomerEvent& event);

}  // namespace customers::application
