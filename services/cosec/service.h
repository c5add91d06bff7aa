// File: service.h
// The cosec service wired to a started Runtime: the CreateOrder saga's orchestrator, started by
// OrderCreated (durable cosec-ordering) and moved by the participants' replies (cosec-replies),
// with its sweeper running. No business gRPC API. main.cc serves it; its fuzz target
// (tests/fuzz) drives it in process.
#pragma once

#include "libs/saga/saga.h"
#include "libs/service/runtime.h"

namespace cosec {

// Builds the orchestrator with `options`, starts the consumers and the sweeper. Exits the
// process when the topology does not give cosec what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt, const eda::saga::Options& options);

}  // namespace cosec
