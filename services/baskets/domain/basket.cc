#include "services/baskets/domain/basket.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "libs/common/overloaded.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace baskets::domain {
namespace validate = eda::validate;
using eda::Overloaded;

namespace {

constexpr char kCheckout[] = "baskets checkout";

absl::Status CheckQuantity(int quantity) {
  if (quantity < 0) return absl::InvalidArgumentError("the item quantity cannot be negative");
  return absl::OkStatus();
}

auto FindLine(BasketState& state, const std::string& product_id) {
  return std::find_if(state.mutable_items()->begin(), state.mutable_items()->end(),
                      [&](const Item& item) { return item.product_id() == product_id; });
}

}  // namespace

absl::StatusOr<Basket> Basket::Start(std::string id, std::string customer_id) {
  EDA_RETURN_IF_ERROR(validate::Id(customer_id, "customer"));
  Basket basket(std::move(id));
  BasketStarted started;
  started.set_customer_id(std::move(customer_id));
  basket.Raise(std::move(started));
  return basket;
}

absl::Status Basket::Cancel() {
  if (!open()) return absl::InvalidArgumentError("the basket cannot be cancelled");
  Raise(BasketCanceled());
  return absl::OkStatus();
}

absl::Status Basket::Checkout(std::string payment_id) {
  EDA_RETURN_IF_ERROR(eda::Annotate(CheckModifiable(), kCheckout));
  if (state_.items().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kCheckout, ": the basket has no items"));
  }
  EDA_RETURN_IF_ERROR(eda::Annotate(validate::Id(payment_id, "payment"), kCheckout));
  BasketCheckedOut checked_out;
  checked_out.set_payment_id(std::move(payment_id));
  checked_out.set_customer_id(state_.customer_id());
  *checked_out.mutable_items() = state_.items();
  Raise(std::move(checked_out));
  return absl::OkStatus();
}

absl::Status Basket::AddItem(const CatalogItem& item, int quantity) {
  EDA_RETURN_IF_ERROR(CheckModifiable());
  EDA_RETURN_IF_ERROR(CheckQuantity(quantity));
  if (quantity == 0) return absl::OkStatus();
  const auto line = FindLine(state_, item.product_id);
  const int64_t total =
      int64_t{quantity} + (line != state_.mutable_items()->end() ? line->quantity() : 0);
  if (total > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError("the item quantity is too large");
  }
  BasketItemAdded added;
  Item& added_item = *added.mutable_item();
  added_item.set_store_id(item.store_id);
  added_item.set_product_id(item.product_id);
  added_item.set_store_name(item.store_name);
  added_item.set_product_name(item.product_name);
  added_item.set_price(validate::RoundMoney(item.price));
  added_item.set_quantity(quantity);
  Raise(std::move(added));
  return absl::OkStatus();
}

absl::Status Basket::RemoveItem(const std::string& product_id, int quantity) {
  EDA_RETURN_IF_ERROR(CheckModifiable());
  EDA_RETURN_IF_ERROR(CheckQuantity(quantity));
  if (quantity == 0 || FindLine(state_, product_id) == state_.mutable_items()->end()) {
    return absl::OkStatus();
  }
  BasketItemRemoved removed;
  removed.set_product_id(product_id);
  removed.set_quantity(quantity);
  Raise(std::move(removed));
  return absl::OkStatus();
}

absl::Status Basket::CheckModifiable() const {
  if (!open()) return absl::InvalidArgumentError("the basket cannot be modified");
  return absl::OkStatus();
}

void Basket::When(const BasketEvent& event) {
  std::visit(Overloaded{
                 [this](const BasketStarted& e) {
                   state_.set_customer_id(e.customer_id());
                   state_.set_status(BasketState::OPEN);
                 },
                 [this](const BasketItemAdded& e) {
                   auto line = FindLine(state_, e.item().product_id());
                   if (line == state_.mutable_items()->end()) {
                     *state_.add_items() = e.item();
                   } else {
                     line->set_quantity(line->quantity() + e.item().quantity());
                   }
                 },
                 [this](const BasketItemRemoved& e) {
                   auto line = FindLine(state_, e.product_id());
                   if (line == state_.mutable_items()->end()) return;
                   if (line->quantity() <= e.quantity()) {
                     state_.mutable_items()->erase(line);
                   } else {
                     line->set_quantity(line->quantity() - e.quantity());
                   }
                 },
                 [this](const BasketCanceled&) {
                   state_.clear_items();
                   state_.set_status(BasketState::CANCELED);
                 },
                 [this](const BasketCheckedOut& e) {
                   state_.set_payment_id(e.payment_id());
                   state_.set_status(BasketState::CHECKED_OUT);
                 },
             },
             event);
}

}  // namespace baskets::domain
