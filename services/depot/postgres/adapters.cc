#include "services/depot/postgres/adapters.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/store.h"
#include "libs/service/rows.h"
#include "proto/stores/stores_service.grpc.pb.h"
#include "services/depot/application/integration.h"

namespace depot::postgres {
namespace {

using domain::ShoppingList;
using domain::ShoppingListState;
using eda::outbox::UnitOfWork;
using eda::service::CachedLookup;
using StoresStub = storespb::StoresService::Stub;

// The cached entity `id` (nullopt on a miss).
template <typename T>
absl::StatusOr<std::optional<T>> FindRow(UnitOfWork& uow, const char* sql, const std::string& id) {
  EDA_ASSIGN_OR_RETURN(auto r, uow.tx().Exec(sql, {id}));
  return eda::service::FirstRowAs<T>(r);
}

// The two lookups, built once per process over the stores client.
struct Lookups {
  explicit Lookups(eda::service::Peer stores)
      : client(std::move(stores)),
        stores({.what = "store",
                .find =
                    [](UnitOfWork& uow, const std::string& id) {
                      return FindRow<storespb::Store>(
                          uow, "SELECT id, name, location FROM stores_cache WHERE id = $1", id);
                    },
                .fetch = [this](const std::string& id) -> absl::StatusOr<storespb::Store> {
                  storespb::GetStoreRequest req;
                  req.set_id(id);
                  EDA_ASSIGN_OR_RETURN(auto resp, client.Call(&StoresStub::GetStore, req));
                  return resp.store();
                },
                .remember =
                    [](UnitOfWork& uow, const storespb::Store& s) {
                      uow.Defer(
                          "INSERT INTO stores_cache (id, name, location) VALUES ($1, $2, $3) "
                          "ON CONFLICT (id) DO NOTHING",
                          {s.id(), s.name(), s.location()});
                    }}),
        products({.what = "product",
                  .find =
                      [](UnitOfWork& uow, const std::string& id) {
                        return FindRow<storespb::Product>(
                            uow, "SELECT id, store_id, name FROM products_cache WHERE id = $1", id);
                      },
                  .fetch = [this](const std::string& id) -> absl::StatusOr<storespb::Product> {
                    storespb::GetProductRequest req;
                    req.set_id(id);
                    EDA_ASSIGN_OR_RETURN(auto resp, client.Call(&StoresStub::GetProduct, req));
                    return resp.product();
                  },
                  .remember =
                      [](UnitOfWork& uow, const storespb::Product& p) {
                        uow.Defer(
                            "INSERT INTO products_cache (id, store_id, name) VALUES ($1, $2, $3) "
                            "ON CONFLICT (id) DO NOTHING",
                            {p.id(), p.store_id(), p.name()});
                      }}) {}

  eda::service::PeerClient<storespb::StoresService> client;
  CachedLookup<storespb::Store> stores;
  CachedLookup<storespb::Product> products;
};

class Catalog final : public application::Catalog {
 public:
  Catalog(UnitOfWork& uow, const Lookups& lookups) : uow_(uow), lookups_(lookups) {}

  absl::StatusOr<storespb::Store> FindStore(const std::string& id) override {
    return lookups_.stores.Get(uow_, id);
  }
  absl::StatusOr<storespb::Product> FindProduct(const std::string& id) override {
    return lookups_.products.Get(uow_, id);
  }
  void StoreCreated(const storespb::StoreCreated& e) override {
    uow_.Defer(
        "INSERT INTO stores_cache (id, name, location) VALUES ($1, $2, $3) "
        "ON CONFLICT (id) DO NOTHING",
        {e.id(), e.name(), e.location()});
  }
  void StoreRebranded(const storespb::StoreRebranded& e) override {
    uow_.Defer("UPDATE stores_cache SET name = $2, updated_at = now() WHERE id = $1",
               {e.id(), e.name()});
  }
  void ProductAdded(const storespb::ProductAdded& e) override {
    uow_.Defer(
        "INSERT INTO products_cache (id, store_id, name) VALUES ($1, $2, $3) "
        "ON CONFLICT (id) DO NOTHING",
        {e.id(), e.store_id(), e.name()});
  }
  void ProductRebranded(const storespb::ProductRebranded& e) override {
    uow_.Defer("UPDATE products_cache SET name = $2, updated_at = now() WHERE id = $1",
               {e.id(), e.name()});
  }
  void ProductRemoved(const storespb::ProductRemoved& e) override {
    uow_.Defer("DELETE FROM products_cache WHERE id = $1", {e.id()});
  }

 private:
  UnitOfWork& uow_;
  const Lookups& lookups_;
};

class Lists final : public application::Lists {
 public:
  explicit Lists(UnitOfWork& uow) : uow_(uow) {}
  absl::StatusOr<std::optional<std::string>> OfOrder(const std::string& order_id) override {
    return Id("SELECT id FROM shopping_lists WHERE order_id = $1 ORDER BY created_at LIMIT 1",
              {order_id});
  }
  absl::StatusOr<std::optional<std::string>> LockOldestAvailable() override {
    return Id(
        "SELECT id FROM shopping_lists WHERE status = 'available' ORDER BY created_at, id "
        "LIMIT 1 FOR UPDATE SKIP LOCKED",
        {});
  }

  absl::StatusOr<std::optional<std::string>> AssignedTo(const std::string& bot_id) override {
    return Id(
        "SELECT id FROM shopping_lists WHERE status = 'assigned' AND assigned_bot_id = $1 "
        "ORDER BY created_at, id LIMIT 1",
        {bot_id});
  }

 private:
  absl::StatusOr<std::optional<std::string>> Id(const char* sql,
                                                std::vector<eda::pg::Param> params) {
    EDA_ASSIGN_OR_RETURN(auto r, uow_.tx().Exec(sql, std::move(params)));
    if (r.rows() == 0) return std::nullopt;
    return std::string(r.Text(0, 0));
  }
  UnitOfWork& uow_;
};

absl::StatusOr<ShoppingList> LoadList(UnitOfWork& uow, const std::string& id) {
  EDA_ASSIGN_OR_RETURN(eda::pg::Result r,
                       uow.tx().Exec("SELECT order_id, stops, assigned_bot_id, status "
                                     "FROM shopping_lists WHERE id = $1 FOR UPDATE",
                                     {id}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("shopping list ", id, " not found"));
  ShoppingListState state;
  state.set_order_id(std::string(r.Text(0, 0)));
  EDA_ASSIGN_OR_RETURN(std::string stops, r.Bytes(0, 1));
  if (!state.mutable_stops()->ParseFromString(stops)) {
    return absl::InternalError(absl::StrCat("shopping list ", id, ": unreadable stops"));
  }
  state.set_assigned_bot_id(std::string(r.Text(0, 2)));
  ShoppingListState::Status status = ShoppingListState::UNKNOWN;
  ShoppingListState::Status_Parse(absl::AsciiStrToUpper(r.Text(0, 3)), &status);
  state.set_status(status);
  return ShoppingList::Restore(id, std::move(state));
}

void SaveList(UnitOfWork& uow, const ShoppingList& l) {
  uow.Defer(
      "INSERT INTO shopping_lists (id, order_id, stops, assigned_bot_id, status) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET assigned_bot_id = $4, "
      "status = $5, updated_at = now()",
      {l.id(), l.state().order_id(), eda::pg::Param::Bytes(l.state().stops().SerializeAsString()),
       l.state().assigned_bot_id(), l.StatusName()});
}

}  // namespace

eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer stores) {
  return
      [lists = eda::es::StateStore<ShoppingList>({.load = LoadList, .save = SaveList},
                                                 {.integrate = application::ShoppingListMessage}),
       lookups = std::make_shared<Lookups>(std::move(stores))](UnitOfWork& uow,
                                                               const auto& use_case) {
        eda::es::BoundRepository<ShoppingList> list_repository(lists, uow);
        Catalog catalog(uow, *lookups);
        Lists queries(uow);
        application::Ports ports{list_repository, catalog, queries};
        return use_case(ports);
      };
}

}  // namespace depot::postgres
