#include "services/ordering/application/application.h"

#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace ordering::application {

using eda::es::Change;
namespace validate = eda::validate;

namespace {

// Order ids are basket ids (UUIDs) or new UUIDs.
absl::Status CheckId(const std::string& id) { return validate::Id(id, "order"); }

}  // namespace

absl::StatusOr<std::string> CreateOrder(Ports& p, std::string customer_id, std::string payment_id,
                                        Items items) {
  EDA_ASSIGN_OR_RETURN(domain::Order order,
                       domain::Order::Create(eda::NewUuid(), std::move(customer_id),
                                             std::move(payment_id), std::move(items)));
  EDA_RETURN_IF_ERROR(p.orders.Save(order));
  return order.id();
}

absl::Status CreateOrderFromCheckout(Ports& p, const std::string& basket_id,
                                     std::string customer_id, std::string payment_id, Items items) {
  EDA_RETURN_IF_ERROR(CheckId(basket_id));
  absl::StatusOr<domain::Order> existing = p.orders.Load(basket_id);
  if (existing.ok()) return absl::OkStatus();  // this basket's order exists already
  if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  EDA_ASSIGN_OR_RETURN(domain::Order order,
                       domain::Order::Create(basket_id, std::move(customer_id),
                                             std::move(payment_id), std::move(items)));
  return p.orders.Save(order);
}

absl::StatusOr<orderingpb::Order> GetOrder(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  EDA_ASSIGN_OR_RETURN(domain::Order order, p.orders.Load(id));
  orderingpb::Order out;
  out.set_id(id);
  out.set_customer_id(order.state().customer_id());
  out.set_payment_id(order.state().payment_id());
  out.set_status(order.StatusName());
  for (const domain::Item& line : order.state().items()) {
    orderingpb::Item& item = *out.add_items();
    item.set_store_id(line.store_id());
    item.set_product_id(line.product_id());
    item.set_store_name(line.store_name());
    item.set_product_name(line.product_name());
    item.set_price(line.price());
    item.set_quantity(line.quantity());
  }
  return out;
}

absl::Status CancelOrder(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.orders, id, [](domain::Order& o) { return o.Cancel(); });
}

absl::Status RejectOrder(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.orders, id, [](domain::Order& o) { return o.Reject(); });
}

absl::Status ApproveOrder(Ports& p, const std::string& id, std::string shopping_id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.orders, id, [&](domain::Order& o) { return o.Approve(std::move(shopping_id)); });
}

absl::Status ReadyOrder(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.orders, id, [](domain::Order& o) { return o.Ready(); });
}

absl::Status ReadyShoppedOrder(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.orders, id, [&](domain::Order& o) -> absl::Status {
    const std::string status = o.StatusName();
    if (status == "pending") {
      return absl::UnavailableError(
          absl::StrCat("order ", id, " is not approved yet: readied once the saga approves it"));
    }
    // Shopped for an order that was given up meanwhile (the saga compensated while a robot
    // shopped): nothing to ready.
    if (status == "rejected" || status == "cancelled") return absl::OkStatus();
    return o.Ready();
  });
}

absl::Status CompleteOrder(Ports& p, const std::string& id, std::string invoice_id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return Change(p.orders, id, [&](domain::Order& o) { return o.Complete(std::move(invoice_id)); });
}

}  // namespace ordering::application
