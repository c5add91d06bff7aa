#include "services/stores/application/application.h"

#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"

namespace stores::application {
namespace {

absl::Status CheckId(const std::string& id, const char* what) {
  if (id.empty())
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " id cannot be blank"));
  if (!eda::IsUuid(id))
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " id must be a UUID"));
  return absl::OkStatus();
}

template <typename Change>
absl::Status ChangeStore(Ports& p, const std::string& id, Change change) {
  EDA_RETURN_IF_ERROR(CheckId(id, "store"));
  EDA_ASSIGN_OR_RETURN(domain::Store store, p.stores.Load(id));
  EDA_RETURN_IF_ERROR(change(store));
  return p.stores.Save(store);
}

template <typename Change>
absl::Status ChangeProduct(Ports& p, const std::string& id, Change change) {
  EDA_RETURN_IF_ERROR(CheckId(id, "product"));
  EDA_ASSIGN_OR_RETURN(domain::Product product, p.products.Load(id));
  EDA_RETURN_IF_ERROR(change(product));
  return p.products.Save(product);
}

}  // namespace

absl::StatusOr<std::string> CreateStore(Ports& p, const IdGenerator& new_id, std::string name,
                                        std::string location) {
  EDA_ASSIGN_OR_RETURN(domain::Store store,
                       domain::Store::Create(new_id(), std::move(name), std::move(location)));
  EDA_RETURN_IF_ERROR(p.stores.Save(store));
  return store.id();
}

absl::Status EnableParticipation(Ports& p, const std::string& id) {
  return ChangeStore(p, id, [](domain::Store& s) { return s.EnableParticipation(); });
}

absl::Status DisableParticipation(Ports& p, const std::string& id) {
  return ChangeStore(p, id, [](domain::Store& s) { return s.DisableParticipation(); });
}

absl::Status RebrandStore(Ports& p, const std::string& id, std::string name) {
  return ChangeStore(p, id, [&](domain::Store& s) { return s.Rebrand(std::move(name)); });
}

absl::StatusOr<domain::StoreView> GetStore(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id, "store"));
  return p.catalog.FindStore(id);
}

absl::StatusOr<std::vector<domain::StoreView>> GetStores(Ports& p, bool participating_only) {
  return p.catalog.Stores(participating_only);
}

absl::StatusOr<std::string> AddProduct(Ports& p, const IdGenerator& new_id,
                                       const std::string& store_id, std::string name,
                                       std::string description, std::string sku, double price) {
  EDA_RETURN_IF_ERROR(CheckId(store_id, "store"));
  EDA_ASSIGN_OR_RETURN(domain::Product product,
                       domain::Product::Add(new_id(), store_id, std::move(name),
                                            std::move(description), std::move(sku), price));
  EDA_RETURN_IF_ERROR(p.products.Save(product));  // NotFound for an unknown store
  return product.id();
}

absl::Status RebrandProduct(Ports& p, const std::string& id, std::string name,
                            std::string description) {
  return ChangeProduct(p, id, [&](domain::Product& x) {
    return x.Rebrand(std::move(name), std::move(description));
  });
}

absl::Status IncreaseProductPrice(Ports& p, const std::string& id, double price) {
  return ChangeProduct(p, id, [&](domain::Product& x) { return x.IncreasePrice(price); });
}

absl::Status DecreaseProductPrice(Ports& p, const std::string& id, double price) {
  return ChangeProduct(p, id, [&](domain::Product& x) { return x.DecreasePrice(price); });
}

absl::Status RemoveProduct(Ports& p, const std::string& id) {
  return ChangeProduct(p, id, [](domain::Product& x) { return x.Remove(); });
}

absl::StatusOr<domain::ProductView> GetProduct(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id, "product"));
  return p.catalog.FindProduct(id);
}

absl::StatusOr<std::vector<domain::ProductView>> GetCatalog(Ports& p, const std::string& store_id) {
  EDA_RETURN_IF_ERROR(CheckId(store_id, "store"));
  return p.catalog.ProductsOf(store_id);
}

}  // namespace stores::application
