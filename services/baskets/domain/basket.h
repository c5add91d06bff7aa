// File: basket.h
// The event-sourced Basket aggregate (spec §5.3). Its events and state are the messages of
// baskets_domain.proto (the stored format, private to this service).
//
// A basket is started open for a customer; while open, lines are added (names and price captured
// when a product is first added; adding it again only adds quantity) and removed (a line goes
// when its quantity reaches 0); it ends cancelled (lines cleared) or checked out with a payment.
#pragma once

#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "services/baskets/domain/baskets_domain.pb.h"

namespace baskets::domain {

using BasketEvent = std::variant<BasketStarted, BasketItemAdded, BasketItemRemoved, BasketCanceled,
                                 BasketCheckedOut>;

// What AddItem adds: the product as the catalog has it now.
struct CatalogItem {
  std::string store_id;
  std::string store_name;
  std::string product_id;
  std::string product_name;
  double price = 0;
};

class Basket final : public eda::es::Aggregate<BasketEvent> {
 public:
  static constexpr char kType[] = "baskets.Basket";
  using Snapshot = BasketState;
  explicit Basket(std::string id) : Aggregate(std::move(id)) {}

  // Errors: InvalidArgument "the customer id cannot be blank" / "the customer id must be a UUID".
  static absl::StatusOr<Basket> Start(std::string id, std::string customer_id);
  // Clears the lines. Errors: InvalidArgument "the basket cannot be cancelled" unless open.
  absl::Status Cancel();
  // Errors, checked in this order: InvalidArgument "baskets checkout: the basket cannot be
  // modified" (not open), "baskets checkout: the basket has no items", "baskets checkout: the
  // payment id cannot be blank" (or "must be a UUID").
  absl::Status Checkout(std::string payment_id);
  // Adds `quantity` of the product (0 changes nothing). Errors: InvalidArgument "the basket
  // cannot be modified" (not open), "the item quantity cannot be negative", "the item quantity is
  // too large" (the line would exceed 2147483647).
  absl::Status AddItem(const CatalogItem& item, int quantity);
  // Removes `quantity` of the product from its line, deleting the line at 0; a product not in
  // the basket, or a quantity of 0, changes nothing. Errors: InvalidArgument "the basket cannot
  // be modified" (not open), "the item quantity cannot be negative".
  absl::Status RemoveItem(const std::string& product_id, int quantity);

  bool open() const { return state_.status() == BasketState::OPEN; }
  const BasketState& state() const { return state_; }
  const BasketState& TakeSnapshot() const { return state_; }
  void Restore(BasketState s) { state_ = std::move(s); }

 private:
  absl::Status CheckModifiable() const;
  void When(const BasketEvent& event) override;
  BasketState state_;
};

}  // namespace baskets::domain
