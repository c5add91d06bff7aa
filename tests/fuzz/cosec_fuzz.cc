// Fuzz target: the cosec service in process (the saga options at their defaults), every RPC of its
// API and every message it consumes, on a real database (service_fuzz.h).
#include <cstddef>
#include <cstdint>

#include "services/cosec/service.h"
#include "tests/fuzz/service_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static eda::fuzz::ServiceTarget& target = eda::fuzz::ServiceTarget::StartOrDie(
      "cosec", {}, [](eda::service::Runtime& rt) { return cosec::Wire(rt, eda::saga::Options{}); });
  return target.Run(data, size);
}
