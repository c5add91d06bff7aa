// File: store.h
// The event-sourced Store and Product aggregates (spec §5.1). Their events and states are the
// messages of stores_domain.proto (the stored format, private to this service).
//
// Store: created not participating; participation enabled <-> disabled; rebrand any time.
// Product: added to a store; rebranded; its price raised or lowered (events carry the delta,
// prices are kept to 4 decimals); removed, after which it refuses every command (NotFound).
#pragma once

#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "services/stores/domain/stores_domain.pb.h"

namespace stores::domain {

inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxDescriptionLength = 2000;
inline constexpr size_t kMaxSkuLength = 64;

using StoreEvent = std::variant<StoreCreated, StoreParticipationEnabled, StoreParticipationDisabled,
                                StoreRebranded>;

class Store final : public eda::es::Aggregate<StoreEvent> {
 public:
  static constexpr char kType[] = "stores.Store";
  using Snapshot = StoreState;
  explicit Store(std::string id) : Aggregate(std::move(id)) {}

  // Errors: InvalidArgument "the store name cannot be blank" / "the store location cannot be
  // blank" (or too long, or holding NUL bytes).
  static absl::StatusOr<Store> Create(std::string id, std::string name, std::string location);
  // Errors: InvalidArgument "the store is already participating".
  absl::Status EnableParticipation();
  // Errors: InvalidArgument "the store is already not participating".
  absl::Status DisableParticipation();
  // Errors: InvalidArgument for a name too long or holding NUL bytes (blank is accepted, as in
  // the spec).
  absl::Status Rebrand(std::string name);

  const StoreState& state() const { return state_; }
  const StoreState& TakeSnapshot() const { return state_; }
  void Restore(StoreState s) { state_ = std::move(s); }

 private:
  void When(const StoreEvent& event) override;
  StoreState state_;
};

using ProductEvent = std::variant<ProductAdded, ProductRebranded, ProductPriceIncreased,
                                  ProductPriceDecreased, ProductRemoved>;

class Product final : public eda::es::Aggregate<ProductEvent> {
 public:
  static constexpr char kType[] = "stores.Product";
  using Snapshot = ProductState;
  explicit Product(std::string id) : Aggregate(std::move(id)) {}

  // `price` is rounded to 4 decimals. Errors: InvalidArgument "initializing product: the product
  // name cannot be blank" / "initializing product: the product price cannot be negative" (or
  // not a number, above 99999.9999, or a too long field).
  static absl::StatusOr<Product> Add(std::string id, std::string store_id, std::string name,
                                     std::string description, std::string sku, double price);
  // Errors: NotFound once removed; InvalidArgument for a too long field.
  absl::Status Rebrand(std::string name, std::string description);
  // `price` is the new price. Errors: InvalidArgument "the price change would be a decrease".
  absl::Status IncreasePrice(double price);
  // Errors: InvalidArgument "the price change would be an increase" / negative price.
  absl::Status DecreasePrice(double price);
  absl::Status Remove();

  const ProductState& state() const { return state_; }
  const ProductState& TakeSnapshot() const { return state_; }
  void Restore(ProductState s) { state_ = std::move(s); }

 private:
  absl::Status CheckNotRemoved() const;
  void When(const ProductEvent& event) override;
  ProductState state_;
};

}  // namespace stores::domain
