// File: application.h
// The baskets use cases, each run against the ports of one unit of work
// (eda::service::UseCases<Ports> runs them; postgres/ builds the ports). Baskets are
// event-sourced; the stores and products they are filled from come from a catalog kept from the
// stores context's events, which asks the stores service on a miss.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "proto/baskets/baskets_service.pb.h"
#include "proto/stores/stores_api.pb.h"
#include "proto/stores/stores_service.pb.h"
#include "services/baskets/domain/basket.h"

namespace baskets::application {

// The stores and products a basket can hold: a cache of the stores context's events, with a
// fallback to the stores service for what it has not seen (remembered in the same unit of work).
class Catalog {
 public:
  virtual ~Catalog() = default;
  // Errors: NotFound "product fallback failed: product was not located"; the peer's other errors
  // keep their code, "product fallback failed: ...".
  virtual absl::StatusOr<storespb::Product> FindProduct(const std::string& id) = 0;
  // Errors: NotFound "store fallback failed: store was not located"; others as FindProduct.
  virtual absl::StatusOr<storespb::Store> FindStore(const std::string& id) = 0;

  // Keeping the cache: each queues its write in the unit of work.
  virtual void StoreCreated(const storespb::StoreCreated& e) = 0;
  virtual void StoreRebranded(const storespb::StoreRebranded& e) = 0;
  virtual void ProductAdded(const storespb::ProductAdded& e) = 0;
  virtual void ProductRebranded(const storespb::ProductRebranded& e) = 0;
  virtual void ProductPriceChanged(const storespb::ProductPriceChanged& e) = 0;
  virtual void ProductRemoved(const storespb::ProductRemoved& e) = 0;
};

struct Ports {
  eda::es::AggregateRepository<domain::Basket>& baskets;
  Catalog& catalog;
};

// Every use case taking a basket id answers InvalidArgument "the basket id must be a UUID" for
// a malformed one and NotFound "basket <id> not found" for an unknown one, besides the domain's
// errors.
absl::StatusOr<std::string> StartBasket(Ports& p, std::string customer_id);
absl::Status CancelBasket(Ports& p, const std::string& id);
absl::Status CheckoutBasket(Ports& p, const std::string& id, std::string payment_id);
// Loads the basket, then looks the product up, then its store (the catalog's errors), then
// applies the basket's rules.
absl::Status AddItem(Ports& p, const std::string& id, const std::string& product_id, int quantity);
// Works from the basket alone: a product that has left the catalog can still be removed.
absl::Status RemoveItem(Ports& p, const std::string& id, const std::string& product_id,
                        int quantity);
absl::StatusOr<basketspb::Basket> GetBasket(Ports& p, const std::string& id);

}  // namespace baskets::application
