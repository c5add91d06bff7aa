#include "services/stores/domain/store.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "libs/common/overloaded.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace stores::domain {
namespace validate = eda::validate;
using eda::Overloaded;

absl::StatusOr<Store> Store::Create(std::string id, std::string name, std::string location) {
  EDA_RETURN_IF_ERROR(validate::NotBlank(name, "store name"));
  EDA_RETURN_IF_ERROR(validate::NotBlank(location, "store location"));
  EDA_RETURN_IF_ERROR(validate::Text(name, kMaxNameLength, "store name"));
  EDA_RETURN_IF_ERROR(validate::Text(location, kMaxNameLength, "store location"));
  Store store(std::move(id));
  StoreCreated created;
  created.set_name(std::move(name));
  created.set_location(std::move(location));
  store.Raise(std::move(created));
  return store;
}

absl::Status Store::EnableParticipation() {
  if (state_.participating()) {
    return absl::InvalidArgumentError("the store is already participating");
  }
  Raise(StoreParticipationEnabled());
  return absl::OkStatus();
}

absl::Status Store::DisableParticipation() {
  if (!state_.participating()) {
    return absl::InvalidArgumentError("the store is already not participating");
  }
  Raise(StoreParticipationDisabled());
  return absl::OkStatus();
}

absl::Status Store::Rebrand(std::string name) {
  EDA_RETURN_IF_ERROR(validate::Text(name, kMaxNameLength, "store name"));
  StoreRebranded rebranded;
  rebranded.set_name(std::move(name));
  Raise(std::move(rebranded));
  return absl::OkStatus();
}

void Store::When(const StoreEvent& event) {
  std::visit(Overloaded{
                 [this](const StoreCreated& e) {
                   state_.set_name(e.name());
                   state_.set_location(e.location());
                   state_.set_participating(false);
                 },
                 [this](const StoreParticipationEnabled&) { state_.set_participating(true); },
                 [this](const StoreParticipationDisabled&) { state_.set_participating(false); },
                 [this](const StoreRebranded& e) { state_.set_name(e.name()); },
             },
             event);
}

absl::StatusOr<Product> Product::Add(std::string id, std::string store_id, std::string name,
                                     std::string description, std::string sku, double price) {
  constexpr char kContext[] = "initializing product";
  EDA_RETURN_IF_ERROR(eda::Annotate(validate::NotBlank(name, "product name"), kContext));
  EDA_RETURN_IF_ERROR(eda::Annotate(validate::Money(price, "product price"), kContext));
  EDA_RETURN_IF_ERROR(validate::Text(name, kMaxNameLength, "product name"));
  EDA_RETURN_IF_ERROR(validate::Text(description, kMaxDescriptionLength, "product description"));
  EDA_RETURN_IF_ERROR(validate::Text(sku, kMaxSkuLength, "product SKU"));
  Product product(std::move(id));
  ProductAdded added;
  added.set_store_id(std::move(store_id));
  added.set_name(std::move(name));
  added.set_description(std::move(description));
  added.set_sku(std::move(sku));
  added.set_price(validate::RoundMoney(price));
  product.Raise(std::move(added));
  return product;
}

absl::Status Product::CheckNotRemoved() const {
  if (state_.removed()) return absl::NotFoundError(absl::StrCat("product ", id(), " was removed"));
  return absl::OkStatus();
}

absl::Status Product::Rebrand(std::string name, std::string description) {
  EDA_RETURN_IF_ERROR(CheckNotRemoved());
  EDA_RETURN_IF_ERROR(validate::Text(name, kMaxNameLength, "product name"));
  EDA_RETURN_IF_ERROR(validate::Text(description, kMaxDescriptionLength, "product description"));
  ProductRebranded rebranded;
  rebranded.set_name(std::move(name));
  rebranded.set_description(std::move(description));
  Raise(std::move(rebranded));
  return absl::OkStatus();
}

absl::Status Product::IncreasePrice(double price) {
  EDA_RETURN_IF_ERROR(CheckNotRemoved());
  if (!std::isfinite(price)) return validate::Money(price, "product price");  // not a number
  price = validate::RoundMoney(price);
  if (price < state_.price()) {
    return absl::InvalidArgumentError("the price change would be a decrease");
  }
  EDA_RETURN_IF_ERROR(validate::Money(price, "product price"));
  ProductPriceIncreased increased;
  increased.set_delta(validate::RoundMoney(price - state_.price()));
  Raise(std::move(increased));
  return absl::OkStatus();
}

absl::Status Product::DecreasePrice(double price) {
  EDA_RETURN_IF_ERROR(CheckNotRemoved());
  if (!std::isfinite(price)) return validate::Money(price, "product price");  // not a number
  price = validate::RoundMoney(price);
  if (price > state_.price()) {
    return absl::InvalidArgumentError("the price change would be an increase");
  }
  EDA_RETURN_IF_ERROR(validate::Money(price, "product price"));
  ProductPriceDecreased decreased;
  decreased.set_delta(validate::RoundMoney(price - state_.price()));
  Raise(std::move(decreased));
  return absl::OkStatus();
}

absl::Status Product::Remove() {
  EDA_RETURN_IF_ERROR(CheckNotRemoved());
  Raise(ProductRemoved());
  return absl::OkStatus();
}

void Product::When(const ProductEvent& event) {
  std::visit(Overloaded{
                 [this](const ProductAdded& e) {
                   state_.set_store_id(e.store_id());
                   state_.set_name(e.name());
                   state_.set_description(e.description());
                   state_.set_sku(e.sku());
                   state_.set_price(e.price());
                 },
                 [this](const ProductRebranded& e) {
                   state_.set_name(e.name());
                   state_.set_description(e.description());
                 },
                 [this](const ProductPriceIncreased& e) {
                   state_.set_price(validate::RoundMoney(state_.price() + e.delta()));
                 },
                 [this](const ProductPriceDecreased& e) {
                   state_.set_price(validate::RoundMoney(state_.price() + e.delta()));
                 },
                 [this](const ProductRemoved&) { state_.set_removed(true); },
             },
             event);
}

}  // namespace stores::domain
