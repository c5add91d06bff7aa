#include "services/stores/domain/store.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "libs/common/overloaded.h"

namespace stores::domain {
namespace {

absl::Status MaxLength(const std::string& value, size_t max, const char* what) {
  if (value.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the ", what, " cannot be longer than ", max, " characters"));
}

using eda::Overloaded;

}  // namespace

absl::StatusOr<Store> Store::Create(std::string id, std::string name, std::string location) {
  if (name.empty()) return absl::InvalidArgumentError("the store name cannot be blank");
  if (location.empty()) return absl::InvalidArgumentError("the store location cannot be blank");
  if (absl::Status s = MaxLength(name, kMaxNameLength, "store name"); !s.ok()) return s;
  if (absl::Status s = MaxLength(location, kMaxNameLength, "store location"); !s.ok()) return s;
  Store store(std::move(id));
  store.Raise(StoreCreated{std::move(name), std::move(location)});
  return store;
}

absl::Status Store::EnableParticipation() {
  if (state_.participating) return absl::InvalidArgumentError("the store is already participating");
  Raise(StoreParticipationEnabled{});
  return absl::OkStatus();
}

absl::Status Store::DisableParticipation() {
  if (!state_.participating) {
    return absl::InvalidArgumentError("the store is already not participating");
  }
  Raise(StoreParticipationDisabled{});
  return absl::OkStatus();
}

absl::Status Store::Rebrand(std::string name) {
  if (absl::Status s = MaxLength(name, kMaxNameLength, "store name"); !s.ok()) return s;
  Raise(StoreRebranded{std::move(name)});
  return absl::OkStatus();
}

void Store::When(const StoreEvent& event) {
  std::visit(Overloaded{
                 [this](const StoreCreated& e) {
                   state_.name = e.name;
                   state_.location = e.location;
                   state_.participating = false;
                 },
                 [this](const StoreParticipationEnabled&) { state_.participating = true; },
                 [this](const StoreParticipationDisabled&) { state_.participating = false; },
                 [this](const StoreRebranded& e) { state_.name = e.name; },
             },
             event);
}

absl::StatusOr<Product> Product::Add(std::string id, std::string store_id, std::string name,
                                     std::string description, std::string sku, double price) {
  if (name.empty()) {
    return absl::InvalidArgumentError("initializing product: the product name cannot be blank");
  }
  if (price < 0 || !std::isfinite(price)) {
    return absl::InvalidArgumentError("initializing product: the product price cannot be negative");
  }
  if (price > kMaxPrice) {
    return absl::InvalidArgumentError(
        "initializing product: the product price cannot exceed 99999.9999");
  }
  if (absl::Status s = MaxLength(name, kMaxNameLength, "product name"); !s.ok()) return s;
  if (absl::Status s = MaxLength(description, kMaxDescriptionLength, "product description");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = MaxLength(sku, kMaxSkuLength, "product SKU"); !s.ok()) return s;
  Product product(std::move(id));
  product.Raise(ProductAdded{std::move(store_id), std::move(name), std::move(description),
                             std::move(sku), price});
  return product;
}

absl::Status Product::CheckNotRemoved() const {
  if (state_.removed) return absl::NotFoundError(absl::StrCat("product ", id(), " was removed"));
  return absl::OkStatus();
}

absl::Status Product::Rebrand(std::string name, std::string description) {
  if (absl::Status s = CheckNotRemoved(); !s.ok()) return s;
  if (absl::Status s = MaxLength(name, kMaxNameLength, "product name"); !s.ok()) return s;
  if (absl::Status s = MaxLength(description, kMaxDescriptionLength, "product description");
      !s.ok()) {
    return s;
  }
  Raise(ProductRebranded{std::move(name), std::move(description)});
  return absl::OkStatus();
}

absl::Status Product::IncreasePrice(double price) {
  if (absl::Status s = CheckNotRemoved(); !s.ok()) return s;
  if (!std::isfinite(price) || price < state_.price) {
    return absl::InvalidArgumentError("the price change would be a decrease");
  }
  if (price > kMaxPrice)
    return absl::InvalidArgumentError("the product price cannot exceed 99999.9999");
  Raise(ProductPriceIncreased{price - state_.price});
  return absl::OkStatus();
}

absl::Status Product::DecreasePrice(double price) {
  if (absl::Status s = CheckNotRemoved(); !s.ok()) return s;
  if (!std::isfinite(price) || price > state_.price) {
    return absl::InvalidArgumentError("the price change would be an increase");
  }
  if (price < 0) return absl::InvalidArgumentError("the product price cannot be negative");
  Raise(ProductPriceDecreased{price - state_.price});
  return absl::OkStatus();
}

absl::Status Product::Remove() {
  if (absl::Status s = CheckNotRemoved(); !s.ok()) return s;
  Raise(ProductRemoved{});
  return absl::OkStatus();
}

void Product::When(const ProductEvent& event) {
  std::visit(Overloaded{
                 [this](const ProductAdded& e) {
                   state_.store_id = e.store_id;
                   state_.name = e.name;
                   state_.description = e.description;
                   state_.sku = e.sku;
                   state_.price = e.price;
                 },
                 [this](const ProductRebranded& e) {
                   state_.name = e.name;
                   state_.description = e.description;
                 },
                 [this](const ProductPriceIncreased& e) { state_.price += e.delta; },
                 [this](const ProductPriceDecreased& e) { state_.price += e.delta; },
                 [this](const ProductRemoved&) { state_.removed = true; },
             },
             event);
}

}  // namespace stores::domain
