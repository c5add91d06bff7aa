// File: application.h
// The ordering use cases, each run against the ports of one unit of work
// (eda::service::UseCases<Ports> runs them; postgres/ builds the ports). Orders are
// event-sourced; reads load the aggregate.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "proto/ordering/ordering_service.pb.h"
#include "services/ordering/domain/order.h"

namespace ordering::application {

struct Ports {
  eda::es::AggregateRepository<domain::Order>& orders;
};

using Items = std::vector<domain::Item>;

// Every use case taking an order id answers InvalidArgument "the order id must be a UUID" (or
// "cannot be blank") and NotFound "order <id> not found" for an unknown one, besides the
// domain's errors.

// A new order (new id). Errors: the domain's Create.
absl::StatusOr<std::string> CreateOrder(Ports& p, std::string customer_id, std::string payment_id,
                                        Items items);
// The order of a checked-out basket: its id is the basket's. A second checkout of the same
// basket (the event delivered again under another message id) creates nothing and succeeds.
absl::Status CreateOrderFromCheckout(Ports& p, const std::string& basket_id,
                                     std::string customer_id, std::string payment_id, Items items);
absl::StatusOr<orderingpb::Order> GetOrder(Ports& p, const std::string& id);
absl::Status CancelOrder(Ports& p, const std::string& id);
absl::Status RejectOrder(Ports& p, const std::string& id);
absl::Status ApproveOrder(Ports& p, const std::string& id, std::string shopping_id);
absl::Status ReadyOrder(Ports& p, const std::string& id);
// The robots completed the order's list. The saga makes the list available before it approves
// the order, so a quick robot can finish first: a pending order is Unavailable (the event comes
// back until the saga has approved it); a rejected or cancelled order stays so (the list was
// shopped while the saga compensated). Errors otherwise as ReadyOrder.
absl::Status ReadyShoppedOrder(Ports& p, const std::string& id);
absl::Status CompleteOrder(Ports& p, const std::string& id, std::string invoice_id);

}  // namespace ordering::application
