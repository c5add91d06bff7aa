// File: service.h
// The baskets service wired to a started Runtime: basketspb.BasketService over gRPC, and a catalog
// kept from the stores' events (asking the stores service on a miss). main.cc serves it; its fuzz
// target (tests/fuzz) drives it in process.
#pragma once

#include "libs/service/runtime.h"

namespace baskets {

// Builds the use cases and the gRPC service, starts the consumers and declares the read models.
// Exits the process when the topology does not give baskets what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt);

}  // namespace baskets
