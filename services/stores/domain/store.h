// File: store.h
// The event-sourced Store and Product aggregates (spec §5.1). Plain C++.
//
// Store: created not participating; participation enabled <-> disabled; rebrand any time.
// Product: added to a store; rebranded; its price raised or lowered (events carry the delta);
// removed, after which it refuses every command (NotFound).
#pragma once

#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"

namespace stores::domain {

inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxDescriptionLength = 2000;
inline constexpr size_t kMaxSkuLength = 64;
inline constexpr double kMaxPrice = 99999.9999;  // the read model's decimal(9,4)

struct StoreCreated {
  std::string name, location;
};
struct StoreParticipationEnabled {};
struct StoreParticipationDisabled {};
struct StoreRebranded {
  std::string name;
};
using StoreEvent = std::variant<StoreCreated, StoreParticipationEnabled, StoreParticipationDisabled,
                                StoreRebranded>;

struct StoreState {
  std::string name, location;
  bool participating = false;
};

class Store final : public eda::es::Aggregate<StoreEvent> {
 public:
  static constexpr char kType[] = "stores.Store";
  using Snapshot = StoreState;
  explicit Store(std::string id) : Aggregate(std::move(id)) {}

  // Errors: InvalidArgument "the store name cannot be blank" / "the store location cannot be
  // blank" (or too long).
  static absl::StatusOr<Store> Create(std::string id, std::string name, std::string location);
  // Errors: InvalidArgument "the store is already participating".
  absl::Status EnableParticipation();
  // Errors: InvalidArgument "the store is already not participating".
  absl::Status DisableParticipation();
  // Errors: InvalidArgument for a name longer than allowed (blank is accepted, as in the spec).
  absl::Status Rebrand(std::string name);

  const StoreState& state() const { return state_; }
  StoreState TakeSnapshot() const { return state_; }
  void Restore(const StoreState& s) { state_ = s; }

 private:
  void When(const StoreEvent& event) override;
  StoreState state_;
};

struct ProductAdded {
  std::string store_id, name, description, sku;
  double price = 0;
};
struct ProductRebranded {
  std::string name, description;
};
struct ProductPriceIncreased {
  double delta = 0;
};
struct ProductPriceDecreased {
  double delta = 0;  // negative
};
struct ProductRemoved {};
using ProductEvent = std::variant<ProductAdded, ProductRebranded, ProductPriceIncreased,
                                  ProductPriceDecreased, ProductRemoved>;

struct ProductState {
  std::string store_id, name, description, sku;
  double price = 0;
  bool removed = false;
};

class Product final : public eda::es::Aggregate<ProductEvent> {
 public:
  static constexpr char kType[] = "stores.Product";
  using Snapshot = ProductState;
  explicit Product(std::string id) : Aggregate(std::move(id)) {}

  // Errors: InvalidArgument "initializing product: the product name cannot be blank" /
  // "initializing product: the product price cannot be negative" (or a too long field).
  static absl::StatusOr<Product> Add(std::string id, std::string store_id, std::string name,
                                     std::string description, std::string sku, double price);
  absl::Status Rebrand(std::string name, std::string description);
  // `price` is the new price. Errors: InvalidArgument "the price change would be a decrease".
  absl::Status IncreasePrice(double price);
  // Errors: InvalidArgument "the price change would be an increase" / negative price.
  absl::Status DecreasePrice(double price);
  absl::Status Remove();

  const ProductState& state() const { return state_; }
  ProductState TakeSnapshot() const { return state_; }
  void Restore(const ProductState& s) { state_ = s; }

 private:
  absl::Status CheckNotRemoved() const;
  void When(const ProductEvent& event) override;
  ProductState state_;
};

}  // namespace stores::domain
