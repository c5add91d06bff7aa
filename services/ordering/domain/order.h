// File: order.h
// The event-sourced Order aggregate (spec §5.4). Its events and state are the messages of
// ordering_domain.proto (the stored format, private to this service).
//
//   pending --Reject--> rejected      pending --Approve--> approved --Ready--> ready
//   pending --Cancel--> cancelled     ready --Complete(invoice)--> completed
// Every other transition is refused (InvalidArgument "the order cannot be <verb>"), except
// repeats that change nothing: Reject of a rejected or cancelled order, Ready of a ready or
// completed one, Complete of an order completed with the same invoice.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "services/ordering/domain/ordering_domain.pb.h"

namespace ordering::domain {

using OrderEvent = std::variant<OrderCreated, OrderRejected, OrderApproved, OrderCanceled,
                                OrderReadied, OrderCompleted>;

class Order final : public eda::es::Aggregate<OrderEvent> {
 public:
  static constexpr char kType[] = "ordering.Order";
  using Snapshot = OrderState;
  explicit Order(std::string id) : Aggregate(std::move(id)) {}

  // Errors, in this order: InvalidArgument "create order command: the order has no items",
  // "create order command: the customer id cannot be blank" (or "must be a UUID"), the same for
  // the payment id, then an item's: "create order command: the item quantity must be positive",
  // a bad price, a blank or too long product, store or name.
  static absl::StatusOr<Order> Create(std::string id, std::string customer_id,
                                      std::string payment_id, std::vector<Item> items);
  absl::Status Reject();
  absl::Status Approve(std::string shopping_id);
  absl::Status Cancel();
  absl::Status Ready();
  absl::Status Complete(std::string invoice_id);

  // Σ price × quantity, to 4 decimals.
  double Total() const;
  // pending, rejected, approved, ready, completed, cancelled ("" before creation).
  std::string StatusName() const;
  const OrderState& state() const { return state_; }
  const OrderState& TakeSnapshot() const { return state_; }
  void Restore(OrderState s) { state_ = std::move(s); }

 private:
  void When(const OrderEvent& event) override;
  OrderState state_;
};

}  // namespace ordering::domain
