#include "services/ordering/application/integration.h"

#include "libs/common/overloaded.h"
#include "libs/eventsourcing/store.h"
#include "proto/ordering/ordering_api.pb.h"
#include "services/ordering/api/messages.h"

namespace ordering::application {
namespace {

using eda::Overloaded;
using eda::es::IntegrationEvent;
using Message = std::optional<eda::messaging::Message>;

// The messages that carry the order, its customer and its payment.
template <typename T>
Message Party(const char* name, const std::string& id, const std::string& customer_id,
              const std::string& payment_id) {
  T p;
  p.set_id(id);
  p.set_customer_id(customer_id);
  p.set_payment_id(payment_id);
  return IntegrationEvent(api::kOrderSubject, name, p);
}

}  // namespace

Message OrderMessage(const std::string& id, const domain::OrderEvent& event) {
  return std::visit(
      Overloaded{
          [&](const domain::OrderCreated& e) {
            orderingpb::OrderCreated p;
            p.set_id(id);
            p.set_customer_id(e.customer_id());
            p.set_payment_id(e.payment_id());
            for (const domain::Item& line : e.items()) {
              orderingpb::OrderCreated::Item& item = *p.add_items();
              item.set_product_id(line.product_id());
              item.set_store_id(line.store_id());
              item.set_price(line.price());
              item.set_quantity(line.quantity());
            }
            return Message(IntegrationEvent(api::kOrderSubject, api::kOrderCreated, p));
          },
          [&](const domain::OrderRejected& e) {
            return Party<orderingpb::OrderRejected>(api::kOrderRejected, id, e.customer_id(),
                                                    e.payment_id());
          },
          [&](const domain::OrderApproved& e) {
            return Party<orderingpb::OrderApproved>(api::kOrderApproved, id, e.customer_id(),
                                                    e.payment_id());
          },
          [&](const domain::OrderCanceled& e) {
            return Party<orderingpb::OrderCanceled>(api::kOrderCanceled, id, e.customer_id(),
                                                    e.payment_id());
          },
          [&](const domain::OrderReadied& e) {
            orderingpb::OrderReadied p;
            p.set_id(id);
            p.set_customer_id(e.customer_id());
            p.set_payment_id(e.payment_id());
            p.set_total(e.total());
            return Message(IntegrationEvent(api::kOrderSubject, api::kOrderReadied, p));
          },
          [&](const domain::OrderCompleted& e) {
            orderingpb::OrderCompleted p;
            p.set_id(id);
            p.set_customer_id(e.customer_id());
            p.set_invoice_id(e.invoice_id());
            return Message(IntegrationEvent(api::kOrderSubject, api::kOrderCompleted, p));
          },
      },
      event);
}

}  // namespace ordering::application
