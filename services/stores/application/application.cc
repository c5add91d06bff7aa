#include "services/stores/application/application.h"

#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace stores::application {

using eda::es::Change;
namespace validate = eda::validate;

absl::StatusOr<std::string> CreateStore(Ports& p, std::string name, std::string location) {
  EDA_ASSIGN_OR_RETURN(domain::Store store,
                       domain::Store::Create(eda::NewUuid(), std::move(name), std::move(location)));
  EDA_RETURN_IF_ERROR(p.stores.Save(store));
  return store.id();
}

absl::Status EnableParticipation(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "store"));
  return Change(p.stores, id, [](domain::Store& s) { return s.EnableParticipation(); });
}

absl::Status DisableParticipation(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "store"));
  return Change(p.stores, id, [](domain::Store& s) { return s.DisableParticipation(); });
}

absl::Status RebrandStore(Ports& p, const std::string& id, std::string name) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "store"));
  return Change(p.stores, id, [&](domain::Store& s) { return s.Rebrand(std::move(name)); });
}

absl::StatusOr<storespb::Store> GetStore(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "store"));
  return p.catalog.FindStore(id);
}

absl::StatusOr<Stores> GetStores(Ports& p, bool participating_only) {
  return p.catalog.FindStores(participating_only);
}

absl::StatusOr<std::string> AddProduct(Ports& p, const std::string& store_id, std::string name,
                                       std::string description, std::string sku, double price) {
  EDA_RETURN_IF_ERROR(validate::Id(store_id, "store"));
  EDA_ASSIGN_OR_RETURN(domain::Product product,
                       domain::Product::Add(eda::NewUuid(), store_id, std::move(name),
                                            std::move(description), std::move(sku), price));
  EDA_RETURN_IF_ERROR(p.products.Save(product));
  return product.id();
}

absl::Status RebrandProduct(Ports& p, const std::string& id, std::string name,
                            std::string description) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "product"));
  return Change(p.products, id, [&](domain::Product& x) {
    return x.Rebrand(std::move(name), std::move(description));
  });
}

absl::Status IncreaseProductPrice(Ports& p, const std::string& id, double price) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "product"));
  return Change(p.products, id, [&](domain::Product& x) { return x.IncreasePrice(price); });
}

absl::Status DecreaseProductPrice(Ports& p, const std::string& id, double price) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "product"));
  return Change(p.products, id, [&](domain::Product& x) { return x.DecreasePrice(price); });
}

absl::Status RemoveProduct(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "product"));
  return Change(p.products, id, [](domain::Product& x) { return x.Remove(); });
}

absl::StatusOr<storespb::Product> GetProduct(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "product"));
  return p.catalog.FindProduct(id);
}

absl::StatusOr<Products> GetCatalog(Ports& p, const std::string& store_id) {
  EDA_RETURN_IF_ERROR(validate::Id(store_id, "store"));
  return p.catalog.ProductsOf(store_id);
}

}  // namespace stores::application
