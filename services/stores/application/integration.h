// File: integration.h
// The one place where the stores' domain events become their public integration messages
// (storesapi.*, proto/stores/stores_api.proto); private events map to nothing.
#pragma once

#include <optional>
#include <string>

#include "libs/messaging/envelope.h"
#include "services/stores/domain/store.h"

namespace stores::application {

std::optional<eda::messaging::Message> StoreMessage(const std::string& store_id,
                                                    const domain::StoreEvent& event);
std::optional<eda::messaging::Message> ProductMessage(const std::string& product_id,
                                                      const domain::ProductEvent& event);

}  // namespace stores::application
