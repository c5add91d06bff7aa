// Fuzz target: the stores service in process, every RPC of its API and every message
// it consumes, on a real database (service_fuzz.h).
#include <cstddef>
#include <cstdint>

#include "services/stores/postgres/adapters.h"
#include "services/stores/service.h"
#include "tests/fuzz/service_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static eda::fuzz::ServiceTarget& target = eda::fuzz::ServiceTarget::StartOrDie(
      "stores", stores::postgres::Migrations(),
      [](eda::service::Runtime& rt) { return stores::Wire(rt); });
  return target.Run(data, size);
}
