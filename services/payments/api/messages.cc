#include "services/payments/api/messages.h"

#include "proto/payments/payments_api.pb.h"

namespace payments::api {

void RegisterMessages(eda::messaging::TypeRegistry& registry) {
  registry.RegisterAnnotated(paymentspb::InvoicePaid::descriptor()->file());
}

}  // namespace payments::api
