// File: service.h
// The customers service wired to a started Runtime: customerspb.CustomersService over gRPC and the
// saga's AuthorizeCustomer command. main.cc serves it; its fuzz target (tests/fuzz) drives it in
// process.
#pragma once

#include "libs/service/runtime.h"

namespace customers {

// Builds the use cases and the gRPC service, starts the consumers and declares the read models.
// Exits the process when the topology does not give customers what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt);

}  // namespace customers
