// File: ports.h
// What the stores use cases need from the outside besides the aggregate repositories
// (eda::es::AggregateRepository<Store> / <Product>): the read models, for queries. Implemented
// over PostgreSQL in postgres/.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace stores::domain {

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
