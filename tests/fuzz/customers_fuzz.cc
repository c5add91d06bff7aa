// Fuzz target: the customers service in process, every RPC of its API and every message
// it consumes, on a real database (service_fuzz.h).
#include <cstddef>
#include <cstdint>

#include "services/customers/postgres/adapters.h"
#include "services/customers/service.h"
#include "tests/fuzz/service_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static eda::fuzz::ServiceTarget& target = eda::fuzz::ServiceTarget::StartOrDie(
      "customers", customers::postgres::Migrations(),
      [](eda::service::Runtime& rt) { return customers::Wire(rt); });
  return target.Run(data, size);
}
