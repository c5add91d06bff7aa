#include "services/ordering/domain/order.h"

#include "absl/strings/str_cat.h"
#include "libs/common/overloaded.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace ordering::domain {
namespace validate = eda::validate;
using eda::Overloaded;

namespace {

constexpr char kCreate[] = "create order command";
constexpr size_t kMaxNameLength = 200;

absl::Status Refused(const char* verb) {
  return absl::InvalidArgumentError(absl::StrCat("the order cannot be ", verb));
}

absl::Status CheckItem(const Item& item) {
  if (item.quantity() < 1) {
    return absl::InvalidArgumentError("the item quantity must be positive");
  }
  EDA_RETURN_IF_ERROR(validate::Money(item.price(), "item price"));
  EDA_RETURN_IF_ERROR(validate::NotBlank(item.product_id(), "product id"));
  EDA_RETURN_IF_ERROR(validate::NotBlank(item.store_id(), "store id"));
  EDA_RETURN_IF_ERROR(validate::Text(item.product_id(), kMaxNameLength, "product id"));
  EDA_RETURN_IF_ERROR(validate::Text(item.store_id(), kMaxNameLength, "store id"));
  EDA_RETURN_IF_ERROR(validate::Text(item.product_name(), kMaxNameLength, "product name"));
  return validate::Text(item.store_name(), kMaxNameLength, "store name");
}

}  // namespace

absl::StatusOr<Order> Order::Create(std::string id, std::string customer_id, std::string payment_id,
                                    std::vector<Item> items) {
  if (items.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kCreate, ": the order has no items"));
  }
  EDA_RETURN_IF_ERROR(eda::Annotate(validate::Id(customer_id, "customer"), kCreate));
  EDA_RETURN_IF_ERROR(eda::Annotate(validate::Id(payment_id, "payment"), kCreate));
  OrderCreated created;
  for (Item& item : items) {
    EDA_RETURN_IF_ERROR(eda::Annotate(CheckItem(item), kCreate));
    item.set_price(validate::RoundMoney(item.price()));
    *created.add_items() = std::move(item);
  }
  created.set_customer_id(std::move(customer_id));
  created.set_payment_id(std::move(payment_id));
  Order order(std::move(id));
  order.Raise(std::move(created));
  return order;
}

absl::Status Order::Reject() {
  switch (state_.status()) {
    case OrderState::PENDING:
    case OrderState::APPROVED: {  // the saga's compensation of an approval that came too late
      OrderRejected rejected;
      rejected.set_customer_id(state_.customer_id());
      rejected.set_payment_id(state_.payment_id());
      Raise(std::move(rejected));
      return absl::OkStatus();
    }
    case OrderState::REJECTED:
    case OrderState::CANCELLED:
      return absl::OkStatus();  // a compensation repeated, or one that came after a cancel
    default:
      return Refused("rejected");
  }
}

absl::Status Order::Approve(std::string shopping_id) {
  if (state_.status() != OrderState::PENDING) return Refused("approved");
  EDA_RETURN_IF_ERROR(validate::NotBlank(shopping_id, "shopping id"));
  EDA_RETURN_IF_ERROR(validate::Text(shopping_id, kMaxNameLength, "shopping id"));
  OrderApproved approved;
  approved.set_shopping_id(std::move(shopping_id));
  approved.set_customer_id(state_.customer_id());
  approved.set_payment_id(state_.payment_id());
  Raise(std::move(approved));
  return absl::OkStatus();
}

absl::Status Order::Cancel() {
  if (state_.status() != OrderState::PENDING) return Refused("cancelled");
  OrderCanceled canceled;
  canceled.set_customer_id(state_.customer_id());
  canceled.set_payment_id(state_.payment_id());
  Raise(std::move(canceled));
  return absl::OkStatus();
}

absl::Status Order::Ready() {
  if (state_.status() == OrderState::READY || state_.status() == OrderState::COMPLETED) {
    return absl::OkStatus();
  }
  if (state_.status() != OrderState::APPROVED) return Refused("readied");
  OrderReadied readied;
  readied.set_customer_id(state_.customer_id());
  readied.set_payment_id(state_.payment_id());
  readied.set_total(Total());
  Raise(std::move(readied));
  return absl::OkStatus();
}

absl::Status Order::Complete(std::string invoice_id) {
  EDA_RETURN_IF_ERROR(validate::NotBlank(invoice_id, "invoice id"));
  EDA_RETURN_IF_ERROR(validate::Text(invoice_id, kMaxNameLength, "invoice id"));
  if (state_.status() == OrderState::COMPLETED && state_.invoice_id() == invoice_id) {
    return absl::OkStatus();
  }
  if (state_.status() != OrderState::READY) return Refused("completed");
  OrderCompleted completed;
  completed.set_invoice_id(std::move(invoice_id));
  completed.set_customer_id(state_.customer_id());
  Raise(std::move(completed));
  return absl::OkStatus();
}

double Order::Total() const {
  double total = 0;
  for (const Item& item : state_.items()) total += item.price() * item.quantity();
  return validate::RoundMoney(total);
}

std::string Order::StatusName() const {
  switch (state_.status()) {
    case OrderState::PENDING:
      return "pending";
    case OrderState::REJECTED:
      return "rejected";
    case OrderState::APPROVED:
      return "approved";
    case OrderState::READY:
      return "ready";
    case OrderState::COMPLETED:
      return "completed";
    case OrderState::CANCELLED:
      return "cancelled";
    default:
      return "";
  }
}

void Order::When(const OrderEvent& event) {
  std::visit(Overloaded{
                 [this](const OrderCreated& e) {
                   state_.set_customer_id(e.customer_id());
                   state_.set_payment_id(e.payment_id());
                   *state_.mutable_items() = e.items();
                   state_.set_status(OrderState::PENDING);
                 },
                 [this](const OrderRejected&) { state_.set_status(OrderState::REJECTED); },
                 [this](const OrderApproved& e) {
                   state_.set_shopping_id(e.shopping_id());
                   state_.set_status(OrderState::APPROVED);
                 },
                 [this](const OrderCanceled&) { state_.set_status(OrderState::CANCELLED); },
                 [this](const OrderReadied&) { state_.set_status(OrderState::READY); },
                 [this](const OrderCompleted& e) {
                   state_.set_invoice_id(e.invoice_id());
                   state_.set_status(OrderState::COMPLETED);
                 },
             },
             event);
}

}  // namespace ordering::domain
