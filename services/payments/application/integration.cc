#include "services/payments/application/integration.h"

#include "libs/common/overloaded.h"
#include "libs/eventsourcing/store.h"
#include "proto/payments/payments_api.pb.h"
#include "services/payments/api/messages.h"

namespace payments::application {

using eda::Overloaded;
using Message = std::optional<eda::messaging::Message>;

Message InvoiceMessage(const std::string& id, const domain::InvoiceEvent& event) {
  return std::visit(
      Overloaded{
          [&](const domain::InvoicePaid& e) {
            paymentspb::InvoicePaid p;
            p.set_id(id);
            p.set_order_id(e.order_id());
            return Message(eda::es::IntegrationEvent(api::kInvoiceSubject, api::kInvoicePaid, p));
          },
          [](const auto&) { return Message(); },
      },
      event);
}

}  // namespace payments::application
