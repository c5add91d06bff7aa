// File: service.h
// The ordering service wired to a started Runtime: orderingpb.OrderingService over gRPC; orders
// from checked-out baskets, ready when their shopping list is completed, completed when their
// invoice is paid; the saga's commands. main.cc serves it; its fuzz target (tests/fuzz) drives it
// in process.
#pragma once

#include "libs/service/runtime.h"

namespace ordering {

// Builds the use cases and the gRPC service, starts the consumers and declares the read models.
// Exits the process when the topology does not give ordering what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt);

}  // namespace ordering
