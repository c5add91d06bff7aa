// Fuzz target: a message as a consumer receives it from any stream. The first input byte picks
// the subject (every subject the topology's streams hold, a command and a reply subject
// included), the rest is the body: it is decoded as an envelope (DecodeEnvelope) and, when that
// succeeds, its payload as the type its name is registered for in every context's API (the
// registry every consumer uses); the envelope is then encoded again and decoded back, which must
// give the same id, name and payload. Nothing may crash, hang or trip a sanitizer; undecodable
// input is an error, no more.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "libs/messaging/envelope.h"
#include "tests/fuzz/api_registry.h"

namespace {

const std::vector<std::string>& Subjects() {
  static const auto* subjects = new std::vector<std::string>{"mallbots.stores.events.Store",
                                                             "mallbots.stores.events.Product",
                                                             "mallbots.customers.events.Customer",
                                                             "mallbots.customers.commands",
                                                             "mallbots.baskets.events.Basket",
                                                             "mallbots.ordering.events.Order",
                                                             "mallbots.ordering.commands",
                                                             "mallbots.depot.events.ShoppingList",
                                                             "mallbots.depot.commands",
                                                             "mallbots.payments.events.Invoice",
                                                             "mallbots.payments.commands",
                                                             "mallbots.cosec.replies.CreateOrder",
                                                             "mallbots.deadletter.STORES"};
  return *subjects;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);  // no complaints
  (void)quiet;
  if (size == 0) return 0;
  const std::string& subject = Subjects()[data[0] % Subjects().size()];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<eda::messaging::Message> m = eda::messaging::DecodeEnvelope(subject, body);
  if (!m.ok()) return 0;
  (void)eda::fuzz::ApiRegistry().Decode(m->name, m->payload);
  // What decodes encodes again and decodes to the same message.
  absl::StatusOr<eda::messaging::Message> again =
      eda::messaging::DecodeEnvelope(subject, eda::messaging::EncodeEnvelope(*m));
  if (!again.ok() || again->id != m->id || again->name != m->name || again->payload != m->payload) {
    std::abort();
  }
  return 0;
}
