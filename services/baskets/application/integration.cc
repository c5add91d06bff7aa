#include "services/baskets/application/integration.h"

#include "libs/common/overloaded.h"
#include "libs/eventsourcing/store.h"
#include "proto/baskets/baskets_api.pb.h"
#include "services/baskets/api/messages.h"

namespace baskets::application {

using eda::Overloaded;
using eda::es::IntegrationEvent;
using Message = std::optional<eda::messaging::Message>;

Message BasketMessage(const std::string& id, const domain::BasketEvent& event) {
  return std::visit(
      Overloaded{
          [&](const domain::BasketStarted& e) {
            basketspb::BasketStarted p;
            p.set_id(id);
            p.set_customer_id(e.customer_id());
            return Message(IntegrationEvent(api::kBasketSubject, api::kBasketStarted, p));
          },
          [&](const domain::BasketCanceled&) {
            basketspb::BasketCanceled p;
            p.set_id(id);
            return Message(IntegrationEvent(api::kBasketSubject, api::kBasketCanceled, p));
          },
          [&](const domain::BasketCheckedOut& e) {
            basketspb::BasketCheckedOut p;
            p.set_id(id);
            p.set_customer_id(e.customer_id());
            p.set_payment_id(e.payment_id());
            for (const domain::Item& line : e.items()) {
              basketspb::BasketCheckedOut::Item& item = *p.add_items();
              item.set_store_id(line.store_id());
              item.set_product_id(line.product_id());
              item.set_store_name(line.store_name());
              item.set_product_name(line.product_name());
              item.set_price(line.price());
              item.set_quantity(line.quantity());
            }
            return Message(IntegrationEvent(api::kBasketSubject, api::kBasketCheckedOut, p));
          },
          [](const auto&) { return Message(); },  // item changes stay inside the context
      },
      event);
}

}  // namespace baskets::application
