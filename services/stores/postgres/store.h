// File: store.h
// The stores service's PostgreSQL side, bound to one unit of work: event-sourced repositories for
// Store and Product (snapshots every 3 versions) whose saves also update the `stores` and
// `products` read models and publish the storesapi.* integration events, in the same
// transaction; and the read-model queries.
#pragma once

#include <vector>

#include "libs/outbox/unit_of_work.h"
#include "libs/pg/migrations.h"
#include "services/stores/domain/ports.h"

namespace stores::postgres {

std::vector<eda::pg::Migration> Migrations();

inline constexpr int kSnapshotEvery = 3;

class StoreRepository final : public domain::StoreRepository {
 public:
  explicit StoreRepository(eda::outbox::UnitOfWork& uow) : uow_(uow) {}
  absl::StatusOr<domain::Store> Load(const std::string& id) override;
  absl::Status Save(domain::Store& store) override;

 private:
  eda::outbox::UnitOfWork& uow_;
};

class ProductRepository final : public domain::ProductRepository {
 public:
  explicit ProductRepository(eda::outbox::UnitOfWork& uow) : uow_(uow) {}
  absl::StatusOr<domain::Product> Load(const std::string& id) override;
  absl::Status Save(domain::Product& product) override;

 private:
  eda::outbox::UnitOfWork& uow_;
};

class Catalog final : public domain::Catalog {
 public:
  explicit Catalog(eda::outbox::UnitOfWork& uow) : uow_(uow) {}
  absl::StatusOr<domain::StoreView> FindStore(const std::string& id) override;
  absl::StatusOr<std::vector<domain::StoreView>> Stores(bool participating_only) override;
  absl::StatusOr<domain::ProductView> FindProduct(const std::string& id) override;
  absl::StatusOr<std::vector<domain::ProductView>> ProductsOf(const std::string& store_id) override;

 private:
  eda::outbox::UnitOfWork& uow_;
};

}  // namespace stores::postgres
