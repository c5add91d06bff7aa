#include "services/stores/postgres/adapters.h"

#include "absl/strings/str_cat.h"
#include "libs/common/overloaded.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/proto_codec.h"
#include "libs/pg/errors.h"
#include "services/stores/application/integration.h"

namespace stores::postgres {
namespace {

using eda::Overloaded;
using eda::outbox::UnitOfWork;

// --- Read models: what each event changes ---

void ProjectStore(UnitOfWork& uow, const std::string& id, const domain::StoreEvent& event) {
  std::visit(Overloaded{
                 [&](const domain::StoreCreated& e) {
                   uow.Defer("INSERT INTO stores (id, name, location) VALUES ($1, $2, $3)",
                             {id, e.name(), e.location()});
                 },
                 [&](const domain::StoreParticipationEnabled&) {
                   uow.Defer(
                       "UPDATE stores SET participating = true, updated_at = now() "
                       "WHERE id = $1",
                       {id});
                 },
                 [&](const domain::StoreParticipationDisabled&) {
                   uow.Defer(
                       "UPDATE stores SET participating = false, updated_at = now() "
                       "WHERE id = $1",
                       {id});
                 },
                 [&](const domain::StoreRebranded& e) {
                   uow.Defer("UPDATE stores SET name = $2, updated_at = now() WHERE id = $1",
                             {id, e.name()});
                 },
             },
             event);
}

void ProjectProduct(UnitOfWork& uow, const std::string& id, const domain::ProductEvent& event) {
  constexpr char kChangePrice[] =
      "UPDATE products SET price = price + $2, updated_at = now() WHERE id = $1";
  std::visit(Overloaded{
                 [&](const domain::ProductAdded& e) {
                   uow.Defer(
                       "INSERT INTO products (id, store_id, name, description, sku, price) "
                       "VALUES ($1, $2, $3, $4, $5, $6)",
                       {id, e.store_id(), e.name(), e.description(), e.sku(), e.price()},
                       [store_id = e.store_id()](absl::Status s) {
                         if (!eda::pg::IsForeignKeyViolation(s)) return s;
                         return absl::NotFoundError(absl::StrCat("store ", store_id, " not found"));
                       });
                 },
                 [&](const domain::ProductRebranded& e) {
                   uow.Defer(
                       "UPDATE products SET name = $2, description = $3, "
                       "updated_at = now() WHERE id = $1",
                       {id, e.name(), e.description()});
                 },
                 [&](const domain::ProductPriceIncreased& e) {
                   uow.Defer(kChangePrice, {id, e.delta()});
                 },
                 [&](const domain::ProductPriceDecreased& e) {
                   uow.Defer(kChangePrice, {id, e.delta()});
                 },
                 [&](const domain::ProductRemoved&) {
                   uow.Defer("DELETE FROM products WHERE id = $1", {id});
                 },
             },
             event);
}

// --- Read-model queries ---

domain::StoreView StoreRow(const eda::pg::Result& r, int i) {
  return {std::string(r.Text(i, 0)), std::string(r.Text(i, 1)), std::string(r.Text(i, 2)),
          r.Bool(i, 3)};
}

absl::StatusOr<domain::ProductView> ProductRow(const eda::pg::Result& r, int i) {
  EDA_ASSIGN_OR_RETURN(double price, r.Double(i, 5));
  return domain::ProductView{std::string(r.Text(i, 0)), std::string(r.Text(i, 1)),
                             std::string(r.Text(i, 2)), std::string(r.Text(i, 3)),
                             std::string(r.Text(i, 4)), price};
}

constexpr char kStoreColumns[] = "SELECT id, name, location, participating FROM stores ";
constexpr char kProductColumns[] =
    "SELECT id, store_id, name, description, sku, price::float8 FROM products ";

class Catalog final : public domain::Catalog {
 public:
  explicit Catalog(UnitOfWork& uow) : uow_(uow) {}

  absl::StatusOr<domain::StoreView> FindStore(const std::string& id) override {
    EDA_ASSIGN_OR_RETURN(eda::pg::Result r,
                         uow_.tx().Exec(absl::StrCat(kStoreColumns, "WHERE id = $1"), {id}));
    if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("store ", id, " not found"));
    return StoreRow(r, 0);
  }

  absl::StatusOr<std::vector<domain::StoreView>> Stores(bool participating_only) override {
    EDA_ASSIGN_OR_RETURN(
        eda::pg::Result r,
        uow_.tx().Exec(absl::StrCat(kStoreColumns, participating_only ? "WHERE participating " : "",
                                    "ORDER BY created_at, id")));
    std::vector<domain::StoreView> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(StoreRow(r, i));
    return out;
  }

  absl::StatusOr<domain::ProductView> FindProduct(const std::string& id) override {
    EDA_ASSIGN_OR_RETURN(eda::pg::Result r,
                         uow_.tx().Exec(absl::StrCat(kProductColumns, "WHERE id = $1"), {id}));
    if (r.rows() == 0) return absl::NotFoundError("product with that ID does not exist");
    return ProductRow(r, 0);
  }

  absl::StatusOr<std::vector<domain::ProductView>> ProductsOf(
      const std::string& store_id) override {
    EDA_ASSIGN_OR_RETURN(
        eda::pg::Result r,
        uow_.tx().Exec(absl::StrCat(kProductColumns, "WHERE store_id = $1 ORDER BY created_at, id"),
                       {store_id}));
    std::vector<domain::ProductView> out;
    for (int i = 0; i < r.rows(); ++i) {
      EDA_ASSIGN_OR_RETURN(domain::ProductView p, ProductRow(r, i));
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  UnitOfWork& uow_;
};

}  // namespace

Adapters::Adapters()
    : stores_(
          eda::es::Repository<domain::Store>(eda::es::ProtoEventCodec<domain::StoreEvent>(),
                                             eda::es::ProtoSnapshotCodec<domain::StoreState>(),
                                             {.snapshot_every = kSnapshotEvery, .noun = "store"}),
          {.project = ProjectStore,
           .integrate =
               [](const std::string& id, const domain::StoreEvent& e) {
                 return application::IntegrationEvent(id, e);
               }}),
      products_(eda::es::Repository<domain::Product>(
                    eda::es::ProtoEventCodec<domain::ProductEvent>(),
                    eda::es::ProtoSnapshotCodec<domain::ProductState>(),
                    {.snapshot_every = kSnapshotEvery, .noun = "product"}),
                {.project = ProjectProduct,
                 .integrate = [](const std::string& id, const domain::ProductEvent& e) {
                   return application::IntegrationEvent(id, e);
                 }}) {}

eda::service::UseCases<application::Ports>::PortsFactory Adapters::Factory() const {
  return [this](UnitOfWork& uow, const auto& use_case) {
    eda::es::BoundRepository<domain::Store> stores(stores_, uow);
    eda::es::BoundRepository<domain::Product> products(products_, uow);
    Catalog catalog(uow);
    application::Ports ports{stores, products, catalog};
    return use_case(ports);
  };
}

}  // namespace stores::postgres
