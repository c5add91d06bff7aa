// File: application.h
// The depot use cases, each run against the ports of one unit of work
// (eda::service::UseCases<Ports> runs them; postgres/ builds the ports). Shopping lists are
// state-stored; the stores and products of their stops come from a catalog kept from the
// stores context's events, which asks the stores service on a miss.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "proto/depot/depot_service.pb.h"
#include "proto/stores/stores_api.pb.h"
#include "proto/stores/stores_service.pb.h"
#include "services/depot/domain/shopping_list.h"

namespace depot::application {

// The stores and products a list's stops are built from (as baskets' catalog).
class Catalog {
 public:
  virtual ~Catalog() = default;
  // Errors: NotFound "store fallback failed: store was not located"; the peer's other errors.
  virtual absl::StatusOr<storespb::Store> FindStore(const std::string& id) = 0;
  // Errors: NotFound "product fallback failed: product was not located"; the peer's others.
  virtual absl::StatusOr<storespb::Product> FindProduct(const std::string& id) = 0;

  virtual void StoreCreated(const storespb::StoreCreated& e) = 0;
  virtual void StoreRebranded(const storespb::StoreRebranded& e) = 0;
  virtual void ProductAdded(const storespb::ProductAdded& e) = 0;
  virtual void ProductRebranded(const storespb::ProductRebranded& e) = 0;
  virtual void ProductRemoved(const storespb::ProductRemoved& e) = 0;
};

// Queries over shopping lists.
class Lists {
 public:
  virtual ~Lists() = default;
  // The id of the order's list, nullopt when it has none.
  virtual absl::StatusOr<std::optional<std::string>> OfOrder(const std::string& order_id) = 0;
  // The oldest available list, locked for this unit of work and skipped by the others'; nullopt
  // when there is none.
  virtual absl::StatusOr<std::optional<std::string>> LockOldestAvailable() = 0;
  // The oldest list assigned to `bot_id` and not completed yet, nullopt when it has none.
  virtual absl::StatusOr<std::optional<std::string>> AssignedTo(const std::string& bot_id) = 0;
};

struct Ports {
  eda::es::AggregateRepository<domain::ShoppingList>& lists;
  Catalog& catalog;
  Lists& queries;
};

struct OrderItem {
  std::string product_id;
  std::string store_id;
  int quantity = 0;
};

// Looks up each item's store and product. Errors: "building shopping list: <the lookup's>"
// with its code, the domain's Create.
absl::StatusOr<std::string> CreateShoppingList(Ports& p, std::string order_id,
                                               const std::vector<OrderItem>& items);
// Every use case taking a list id answers InvalidArgument "the shopping list id must be a UUID"
// and NotFound "shopping list <id> not found".
absl::Status CancelShoppingList(Ports& p, const std::string& id);
// The saga's compensation: the list `id`, or the order's when `id` is empty; a canceled list is
// a success, and so is an order that has no list (its CreateShoppingList failed or never ran).
// Errors: InvalidArgument without either id; NotFound for an unknown list `id`.
absl::Status CancelShoppingListFor(Ports& p, const std::string& id, const std::string& order_id);
absl::Status InitiateShopping(Ports& p, const std::string& id);
absl::Status AssignShoppingList(Ports& p, const std::string& id, std::string bot_id);
absl::Status CompleteShoppingList(Ports& p, const std::string& id);
absl::StatusOr<depotpb::ShoppingList> GetShoppingList(Ports& p, const std::string& id);
// Errors: NotFound "no shopping list is available"; InvalidArgument for a blank bot id.
absl::StatusOr<depotpb::ShoppingList> ClaimShoppingList(Ports& p, std::string bot_id);

}  // namespace depot::application
