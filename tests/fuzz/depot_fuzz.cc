// Fuzz target: the depot service in process, every RPC of its API and every message
// it consumes, on a real database (service_fuzz.h).
#include <cstddef>
#include <cstdint>

#include "services/depot/postgres/adapters.h"
#include "services/depot/service.h"
#include "tests/fuzz/service_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static eda::fuzz::ServiceTarget& target = eda::fuzz::ServiceTarget::StartOrDie(
      "depot", depot::postgres::Migrations(),
      [](eda::service::Runtime& rt) { return depot::Wire(rt); });
  return target.Run(data, size);
}
