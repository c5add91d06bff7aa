// File: service.h
// The payments service wired to a started Runtime: paymentspb.PaymentsService over gRPC, an invoice
// for each order made ready, and the saga's payment commands. main.cc serves it; its fuzz target
// (tests/fuzz) drives it in process.
#pragma once

#include "libs/service/runtime.h"

namespace payments {

// Builds the use cases and the gRPC service, starts the consumers and declares the read models.
// Exits the process when the topology does not give payments what it needs.
eda::service::Wired Wire(eda::service::Runtime& rt);

}  // namespace payments
