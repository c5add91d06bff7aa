// File: service.h
// The stores service wired to a started Runtime: storespb.StoresService over gRPC, event-sourced
// stores and products, and storesapi.* events through the outbox. main.cc serves it; its fuzz
// target (tests/fuzz) drives it in process.
#pragma once

#include "libs/service/runtime.h"

namespace stores {

// Builds the use cases and the gRPC service, starts the consumers and declares the read models.
// Exits the process when the topology does not give stores what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt);

}  // namespace stores
