// File: api_registry.h
// The type registry of every context's public messages (each *_api.proto, registered by its
// (eda.wire_name) options) and the saga's empty replies: what the fuzz targets decode payloads
// with and draw message names from.
#pragma once

#include "libs/messaging/registry.h"

namespace eda::fuzz {

const messaging::TypeRegistry& ApiRegistry();

}  // namespace eda::fuzz
