#include "services/ordering/handlers/handlers.h"

#include "absl/strings/str_cat.h"
#include "libs/outbox/commands.h"
#include "proto/baskets/baskets_api.pb.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/payments/payments_api.pb.h"
#include "services/ordering/api/messages.h"

namespace ordering::handlers {
namespace {

using eda::messaging::Message;
using eda::outbox::UnitOfWork;
namespace app = application;

// Decodes the payload of `m` as T into `out`. Errors: InvalidArgument (dead-lettered).
template <typename T>
absl::Status Decode(const Message& m, T& out) {
  if (out.ParseFromString(m.payload)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(m.name, ": undecodable payload"));
}

// A handler of the messages named `name` (others are acknowledged without effect) that decodes
// a T and runs `use_case(ports, event)` in the consumer's unit of work.
template <typename T, typename UseCase>
eda::outbox::MessageHandler On(const UseCases& app, const char* name, UseCase use_case) {
  return [&app, name, use_case](UnitOfWork& uow, const Message& m) -> absl::Status {
    if (m.name != name) return absl::OkStatus();
    T event;
    if (absl::Status s = Decode(m, event); !s.ok()) return s;
    return app.RunIn(uow, [&](app::Ports& p) { return use_case(p, event); });
  };
}

}  // namespace

eda::outbox::MessageHandler BasketEvents(const UseCases& app) {
  return On<basketspb::BasketCheckedOut>(
      app, "basketsapi.BasketCheckedOut", [](app::Ports& p, const basketspb::BasketCheckedOut& e) {
        app::Items items;
        for (const basketspb::BasketCheckedOut::Item& in : e.items()) {
          domain::Item& item = items.emplace_back();
          item.set_store_id(in.store_id());
          item.set_product_id(in.product_id());
          item.set_store_name(in.store_name());
          item.set_product_name(in.product_name());
          item.set_price(in.price());
          item.set_quantity(in.quantity());
        }
        return app::CreateOrderFromCheckout(p, e.id(), e.customer_id(), e.payment_id(),
                                            std::move(items));
      });
}

eda::outbox::MessageHandler DepotEvents(const UseCases& app) {
  return On<depotpb::ShoppingListCompleted>(
      app, "depotapi.ShoppingListCompleted",
      [](app::Ports& p, const depotpb::ShoppingListCompleted& e) {
        return app::ReadyShoppedOrder(p, e.order_id());
      });
}

eda::outbox::MessageHandler PaymentEvents(const UseCases& app) {
  return On<paymentspb::InvoicePaid>(app, "paymentsapi.InvoicePaid",
                                     [](app::Ports& p, const paymentspb::InvoicePaid& e) {
                                       return app::CompleteOrder(p, e.order_id(), e.id());
                                     });
}

eda::outbox::MessageHandler Commands(const UseCases& app) {
  eda::outbox::MessageHandler answer = eda::outbox::CommandAdapter(
      [&app](UnitOfWork& uow, const Message& m) -> eda::outbox::CommandResult {
        if (m.name == api::kRejectOrder) {
          orderingpb::RejectOrder cmd;
          if (absl::Status s = Decode(m, cmd); !s.ok()) return {s};
          return {app.RunIn(uow, [&](app::Ports& p) { return app::RejectOrder(p, cmd.id()); })};
        }
        orderingpb::ApproveOrder cmd;
        if (absl::Status s = Decode(m, cmd); !s.ok()) return {s};
        return {app.RunIn(
            uow, [&](app::Ports& p) { return app::ApproveOrder(p, cmd.id(), cmd.shopping_id()); })};
      });
  // Other names on the subject are not ours to answer: acknowledged and dropped (spec §3.4).
  return [answer](UnitOfWork& uow, const Message& m) {
    if (m.name != api::kRejectOrder && m.name != api::kApproveOrder) return absl::OkStatus();
    return answer(uow, m);
  };
}

}  // namespace ordering::handlers
