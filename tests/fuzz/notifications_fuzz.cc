// Fuzz target: the notifications service in process (its SMS through the log sender), every RPC of
// its API and every message it consumes, on a real database (service_fuzz.h).
#include <cstddef>
#include <cstdint>

#include "services/notifications/postgres/adapters.h"
#include "services/notifications/senders/senders.h"
#include "services/notifications/service.h"
#include "tests/fuzz/service_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static eda::fuzz::ServiceTarget& target = eda::fuzz::ServiceTarget::StartOrDie(
      "notifications", notifications::postgres::Migrations(), [](eda::service::Runtime& rt) {
        return notifications::Wire(rt, notifications::senders::LogSender());
      });
  return target.Run(data, size);
}
