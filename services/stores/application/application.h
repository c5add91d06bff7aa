// File: application.h
// The stores use cases, each run against the ports of one unit of work
// (eda::service::UseCases<Ports> runs them; postgres/ builds the ports). Queries answer from the
// read models in the API's own messages (storespb.Store, storespb.Product).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "proto/stores/stores_service.pb.h"
#include "services/stores/domain/store.h"

namespace stores::application {

using Stores = std::vector<storespb::Store>;
using Products = std::vector<storespb::Product>;

// The read models.
class Catalog {
 public:
  virtual ~Catalog() = default;
  // Errors: NotFound "store <id> not found".
  virtual absl::StatusOr<storespb::Store> FindStore(const std::string& id) = 0;
  virtual absl::StatusOr<Stores> FindStores(bool participating_only) = 0;
  // Errors: NotFound "product with that ID does not exist".
  virtual absl::StatusOr<storespb::Product> FindProduct(const std::string& id) = 0;
  virtual absl::StatusOr<Products> ProductsOf(const std::string& store_id) = 0;
};

struct Ports {
  eda::es::AggregateRepository<domain::Store>& stores;
  eda::es::AggregateRepository<domain::Product>& products;
  Catalog& catalog;
};

// Every use case taking an id answers InvalidArgument when it is not a UUID and NotFound when
// nothing has it, besides the domain's errors.
absl::StatusOr<std::string> CreateStore(Ports& p, std::string name, std::string location);
absl::Status EnableParticipation(Ports& p, const std::string& id);
absl::Status DisableParticipation(Ports& p, const std::string& id);
absl::Status RebrandStore(Ports& p, const std::string& id, std::string name);
absl::StatusOr<storespb::Store> GetStore(Ports& p, const std::string& id);
absl::StatusOr<Stores> GetStores(Ports& p, bool participating_only);

// Errors: NotFound "store <id> not found" for an unknown store (when the unit of work commits).
absl::StatusOr<std::string> AddProduct(Ports& p, const std::string& store_id, std::string name,
                                       std::string description, std::string sku, double price);
absl::Status RebrandProduct(Ports& p, const std::string& id, std::string name,
                            std::string description);
absl::Status IncreaseProductPrice(Ports& p, const std::string& id, double price);
absl::Status DecreaseProductPrice(Ports& p, const std::string& id, double price);
absl::Status RemoveProduct(Ports& p, const std::string& id);
absl::StatusOr<storespb::Product> GetProduct(Ports& p, const std::string& id);
absl::StatusOr<Products> GetCatalog(Ports& p, const std::string& store_id);

}  // namespace stores::application
