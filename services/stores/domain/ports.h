// File: ports.h
// What the stores use cases need from the outside: aggregate repositories (saving also updates
// the read models and publishes the integration events, in the same transaction) and the read
// models for queries. Implemented over PostgreSQL in postgres/.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/stores/domain/store.h"

namespace stores::domain {

class StoreRepository {
 public:
  virtual ~StoreRepository() = default;
  // Errors: NotFound for an unknown id.
  virtual absl::StatusOr<Store> Load(const std::string& id) = 0;
  virtual absl::Status Save(Store& store) = 0;
};

class ProductRepository {
 public:
  virtual ~ProductRepository() = default;
  virtual absl::StatusOr<Product> Load(const std::string& id) = 0;
  // Errors: NotFound when a new product's store does not exist (possibly only when the unit of
  // work commits).
  virtual absl::Status Save(Product& product) = 0;
};

struct StoreView {
  std::string id, name, location;
  bool participating = false;
};
struct ProductView {
  std::string id, store_id, name, description, sku;
  double price = 0;
};

class Catalog {
 public:
  virtual ~Catalog() = default;
  // Errors: NotFound "store <id> not found".
  virtual absl::StatusOr<StoreView> FindStore(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<StoreView>> Stores(bool participating_only) = 0;
  // Errors: NotFound "product with that ID does not exist".
  virtual absl::StatusOr<ProductView> FindProduct(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<ProductView>> ProductsOf(const std::string& store_id) = 0;
};

}  // namespace stores::domain
