#include "services/stores/postgres/adapters.h"

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/proto_codec.h"
#include "libs/eventsourcing/store.h"
#include "libs/pg/errors.h"
#include "libs/service/rows.h"
#include "services/stores/application/integration.h"

namespace stores::postgres {
namespace {

using eda::outbox::UnitOfWork;

// --- Read models: what each event changes ---

struct StoreProjection {
  UnitOfWork& uow;
  const std::string& id;
  void operator()(const domain::StoreCreated& e) const {
    uow.Defer("INSERT INTO stores (id, name, location) VALUES ($1, $2, $3)",
              {id, e.name(), e.location()});
  }
  void operator()(const domain::StoreParticipationEnabled&) const { Participating(true); }
  void operator()(const domain::StoreParticipationDisabled&) const { Participating(false); }
  void operator()(const domain::StoreRebranded& e) const {
    uow.Defer("UPDATE stores SET name = $2, updated_at = now() WHERE id = $1", {id, e.name()});
  }
  void Participating(bool on) const {
    uow.Defer("UPDATE stores SET participating = $2, updated_at = now() WHERE id = $1", {id, on});
  }
};

struct ProductProjection {
  UnitOfWork& uow;
  const std::string& id;
  void operator()(const domain::ProductAdded& e) const {
    uow.Defer(
        "INSERT INTO products (id, store_id, name, description, sku, price) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {id, e.store_id(), e.name(), e.description(), e.sku(), e.price()},
        [store_id = e.store_id()](absl::Status s) {  // products_store_id_fkey
          if (!eda::pg::IsForeignKeyViolation(s)) return s;
          return absl::NotFoundError(absl::StrCat("store ", store_id, " not found"));
        });
  }
  void operator()(const domain::ProductRebranded& e) const {
    uow.Defer("UPDATE products SET name = $2, description = $3, updated_at = now() WHERE id = $1",
              {id, e.name(), e.description()});
  }
  void operator()(const domain::ProductPriceIncreased& e) const { PriceChange(e.delta()); }
  void operator()(const domain::ProductPriceDecreased& e) const { PriceChange(e.delta()); }
  void operator()(const domain::ProductRemoved&) const {
    uow.Defer("DELETE FROM products WHERE id = $1", {id});
  }
  void PriceChange(double delta) const {
    uow.Defer("UPDATE products SET price = price + $2, updated_at = now() WHERE id = $1",
              {id, delta});
  }
};

// --- Read-model queries: rows as the API's messages ---

constexpr char kStores[] = "SELECT id, name, location, participating FROM stores ";
constexpr char kProducts[] = "SELECT id, store_id, name, description, sku, price FROM products ";

class Catalog final : public application::Catalog {
 public:
  explicit Catalog(UnitOfWork& uow) : uow_(uow) {}

  absl::StatusOr<storespb::Store> FindStore(const std::string& id) override {
    EDA_ASSIGN_OR_RETURN(auto r, uow_.tx().Exec(absl::StrCat(kStores, "WHERE id = $1"), {id}));
    if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("store ", id, " not found"));
    return eda::service::RowAs<storespb::Store>(r, 0);
  }

  absl::StatusOr<application::Stores> FindStores(bool participating_only) override {
    EDA_ASSIGN_OR_RETURN(auto r, uow_.tx().Exec(absl::StrCat(
                                     kStores, participating_only ? "WHERE participating " : "",
                                     "ORDER BY created_at, id")));
    return eda::service::RowsAs<storespb::Store>(r);
  }

  absl::StatusOr<storespb::Product> FindProduct(const std::string& id) override {
    EDA_ASSIGN_OR_RETURN(auto r, uow_.tx().Exec(absl::StrCat(kProducts, "WHERE id = $1"), {id}));
    if (r.rows() == 0) return absl::NotFoundError("product with that ID does not exist");
    return eda::service::RowAs<storespb::Product>(r, 0);
  }

  absl::StatusOr<application::Products> ProductsOf(const std::string& store_id) override {
    EDA_ASSIGN_OR_RETURN(
        auto r,
        uow_.tx().Exec(absl::StrCat(kProducts, "WHERE store_id = $1 ORDER BY created_at, id"),
                       {store_id}));
    return eda::service::RowsAs<storespb::Product>(r);
  }

 private:
  UnitOfWork& uow_;
};

// The names the first releases stored events and snapshots under (payload layouts unchanged).
std::map<std::string, std::string> LegacyNames(const std::string& aggregate,
                                               std::vector<std::string> events) {
  std::map<std::string, std::string> names = {
      {"stores." + aggregate + "V1", "stores.domain." + aggregate + "State"}};
  for (const std::string& e : events) names["stores." + e] = "stores.domain." + e;
  return names;
}

}  // namespace

eda::service::UseCases<application::Ports>::PortsFactory PortsFactory() {
  return [stores = eda::es::EventSourcedStore<domain::Store>(
              eda::es::ProtoRepository<domain::Store>(
                  {.snapshot_every = 3,
                   .noun = "store",
                   .legacy_names = LegacyNames(
                       "Store", {"StoreCreated", "StoreRebranded", "StoreParticipationEnabled",
                                 "StoreParticipationDisabled"})}),
              {.project = eda::es::Projection<StoreProjection>(),
               .integrate = application::StoreMessage}),
          products = eda::es::EventSourcedStore<domain::Product>(
              eda::es::ProtoRepository<domain::Product>(
                  {.snapshot_every = 3,
                   .noun = "product",
                   .legacy_names = LegacyNames(
                       "Product", {"ProductAdded", "ProductRebranded", "ProductPriceIncreased",
                                   "ProductPriceDecreased", "ProductRemoved"})}),
              {.project = eda::es::Projection<ProductProjection>(),
               .integrate = application::ProductMessage})](UnitOfWork& uow, const auto& use_case) {
    eda::es::BoundRepository<domain::Store> store_repository(stores, uow);
    eda::es::BoundRepository<domain::Product> product_repository(products, uow);
    Catalog catalog(uow);
    application::Ports ports{store_repository, product_repository, catalog};
    return use_case(ports);
  };
}

}  // namespace stores::postgres
