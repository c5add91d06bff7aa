// File: service.h
// The depot service wired to a started Runtime: depotpb.DepotService over gRPC, a catalog kept from
// the stores' events (asking the stores service on a miss), and the saga's shopping-list commands.
// main.cc serves it; its fuzz target (tests/fuzz) drives it in process.
#pragma once

#include "libs/service/runtime.h"

namespace depot {

// Builds the use cases and the gRPC service, starts the consumers and declares the read models.
// Exits the process when the topology does not give depot what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt);

}  // namespace depot
