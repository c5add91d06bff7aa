// File: shopping_list.h
// The ShoppingList aggregate (spec §5.5), state-stored: the stops a robot makes to shop an
// order, one per store, with the quantity of each product (summed when the order names a
// product twice).
//
//   pending --Initiate--> available --Assign(bot)--> assigned --Complete--> completed
//   pending | available | assigned | active --Cancel--> canceled
// Initiating an available list and cancelling a canceled one change nothing (a saga's command
// may come twice); every other transition is refused (InvalidArgument).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "services/depot/domain/depot_domain.pb.h"

namespace depot::domain {

using ShoppingListEvent =
    std::variant<ShoppingListCreated, ShoppingListInitiated, ShoppingListAssigned,
                 ShoppingListCompleted, ShoppingListCanceled>;

// One line of the order, with what the catalog says of its store and product.
struct Line {
  std::string store_id;
  std::string store_name;
  std::string store_location;
  std::string product_id;
  std::string product_name;
  int quantity = 0;
};

class ShoppingList final : public eda::es::Aggregate<ShoppingListEvent> {
 public:
  // Errors: InvalidArgument "the order id cannot be blank" (or too long), "the item quantity
  // must be positive", "the item quantity is too large". An order without lines is accepted.
  static absl::StatusOr<ShoppingList> Create(std::string id, std::string order_id,
                                             const std::vector<Line>& lines);
  static ShoppingList Restore(std::string id, ShoppingListState state);

  // Errors: InvalidArgument "the shopping list cannot be initiated".
  absl::Status Initiate();
  // Errors: InvalidArgument "the bot id cannot be blank", "the shopping list cannot be
  // assigned".
  absl::Status Assign(std::string bot_id);
  // Errors: InvalidArgument "the shopping list cannot be completed".
  absl::Status Complete();
  // Errors: InvalidArgument "the shopping list cannot be canceled". With `repeat_ok` (the saga's
  // compensation), a canceled list is a success (retried), and so is a completed one, unchanged
  // (a robot shopped before the compensation came: nothing is left to cancel).
  absl::Status Cancel(bool repeat_ok = false);

  std::string StatusName() const;
  const ShoppingListState& state() const { return state_; }

 private:
  explicit ShoppingList(std::string id) : Aggregate(std::move(id)) {}
  void When(const ShoppingListEvent& event) override;
  ShoppingListState state_;
};

}  // namespace depot::domain
