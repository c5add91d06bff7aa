// File: service.h
// The search service wired to a started Runtime: searchpb.SearchService over gRPC and the orders
// read model, with caches of customers, stores and products (asking the customers and stores
// services on a miss). main.cc serves it; its fuzz target (tests/fuzz) drives it in process.
#pragma once

#include "libs/service/runtime.h"

namespace search {

// Builds the use cases and the gRPC service, starts the consumers and declares the read models.
// Exits the process when the topology does not give search what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt);

}  // namespace search
