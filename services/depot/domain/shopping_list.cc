#include "services/depot/domain/shopping_list.h"

#include <cstdint>
#include <limits>

#include "libs/common/overloaded.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace depot::domain {
namespace validate = eda::validate;
using eda::Overloaded;

namespace {
constexpr size_t kMaxTextLength = 200;

absl::Status Refused(const char* verb) {
  return absl::InvalidArgumentError(std::string("the shopping list cannot be ") + verb);
}
}  // namespace

absl::StatusOr<ShoppingList> ShoppingList::Create(std::string id, std::string order_id,
                                                  const std::vector<Line>& lines) {
  EDA_RETURN_IF_ERROR(validate::NotBlank(order_id, "order id"));
  EDA_RETURN_IF_ERROR(validate::Text(order_id, kMaxTextLength, "order id"));
  ShoppingListCreated created;
  created.set_order_id(std::move(order_id));
  auto& stops = *created.mutable_stops()->mutable_stops();
  for (const Line& line : lines) {
    if (line.quantity < 1) {
      return absl::InvalidArgumentError("the item quantity must be positive");
    }
    Stop& stop = stops[line.store_id];
    stop.set_store_name(line.store_name);
    stop.set_store_location(line.store_location);
    Item& item = (*stop.mutable_items())[line.product_id];
    item.set_name(line.product_name);
    const int64_t total = int64_t{item.quantity()} + line.quantity;
    if (total > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError("the item quantity is too large");
    }
    item.set_quantity(static_cast<int32_t>(total));
  }
  ShoppingList list(std::move(id));
  list.Raise(std::move(created));
  return list;
}

ShoppingList ShoppingList::Restore(std::string id, ShoppingListState state) {
  ShoppingList list(std::move(id));
  list.state_ = std::move(state);
  return list;
}

absl::Status ShoppingList::Initiate() {
  if (state_.status() == ShoppingListState::AVAILABLE) return absl::OkStatus();
  if (state_.status() != ShoppingListState::PENDING) return Refused("initiated");
  Raise(ShoppingListInitiated());
  return absl::OkStatus();
}

absl::Status ShoppingList::Assign(std::string bot_id) {
  EDA_RETURN_IF_ERROR(validate::NotBlank(bot_id, "bot id"));
  EDA_RETURN_IF_ERROR(validate::Text(bot_id, kMaxTextLength, "bot id"));
  if (state_.status() != ShoppingListState::AVAILABLE) return Refused("assigned");
  ShoppingListAssigned assigned;
  assigned.set_bot_id(std::move(bot_id));
  Raise(std::move(assigned));
  return absl::OkStatus();
}

absl::Status ShoppingList::Complete() {
  if (state_.status() != ShoppingListState::ASSIGNED) return Refused("completed");
  ShoppingListCompleted completed;
  completed.set_order_id(state_.order_id());
  Raise(std::move(completed));
  return absl::OkStatus();
}

absl::Status ShoppingList::Cancel(bool repeat_ok) {
  switch (state_.status()) {
    case ShoppingListState::PENDING:
    case ShoppingListState::AVAILABLE:
    case ShoppingListState::ASSIGNED:
    case ShoppingListState::ACTIVE:
      Raise(ShoppingListCanceled());
      return absl::OkStatus();
    case ShoppingListState::CANCELED:
      if (repeat_ok) return absl::OkStatus();
      return Refused("canceled");
    case ShoppingListState::COMPLETED:
      // The saga's compensation comes after a robot shopped: nothing is left to cancel.
      if (repeat_ok) return absl::OkStatus();
      return Refused("canceled");
    default:
      return Refused("canceled");
  }
}

std::string ShoppingList::StatusName() const {
  switch (state_.status()) {
    case ShoppingListState::PENDING:
      return "pending";
    case ShoppingListState::AVAILABLE:
      return "available";
    case ShoppingListState::ASSIGNED:
      return "assigned";
    case ShoppingListState::ACTIVE:
      return "active";
    case ShoppingListState::COMPLETED:
      return "completed";
    case ShoppingListState::CANCELED:
      return "canceled";
    default:
      return "";
  }
}

void ShoppingList::When(const ShoppingListEvent& event) {
  std::visit(
      Overloaded{
          [this](const ShoppingListCreated& e) {
            state_.set_order_id(e.order_id());
            *state_.mutable_stops() = e.stops();
            state_.set_status(ShoppingListState::PENDING);
          },
          [this](const ShoppingListInitiated&) { state_.set_status(ShoppingListState::AVAILABLE); },
          [this](const ShoppingListAssigned& e) {
            state_.set_assigned_bot_id(e.bot_id());
            state_.set_status(ShoppingListState::ASSIGNED);
          },
          [this](const ShoppingListCompleted&) { state_.set_status(ShoppingListState::COMPLETED); },
          [this](const ShoppingListCanceled&) { state_.set_status(ShoppingListState::CANCELED); },
      },
      event);
}

}  // namespace depot::domain
