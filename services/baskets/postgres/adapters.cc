#include "services/baskets/postgres/adapters.h"

#include <memory>

#include "libs/common/status_macros.h"
#include "libs/eventsourcing/proto_codec.h"
#include "libs/eventsourcing/store.h"
#include "libs/service/rows.h"
#include "proto/stores/stores_service.grpc.pb.h"
#include "services/baskets/application/integration.h"

namespace baskets::postgres {
namespace {

using eda::outbox::UnitOfWork;
using eda::service::CachedLookup;
using StoresClient = eda::service::PeerClient<storespb::StoresService>;
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
                          uow, "SELECT id, name FROM stores_cache WHERE id = $1", id);
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
                          "INSERT INTO stores_cache (id, name) VALUES ($1, $2) "
                          "ON CONFLICT (id) DO NOTHING",
                          {s.id(), s.name()});
                    }}),
        products({.what = "product",
                  .find =
                      [](UnitOfWork& uow, const std::string& id) {
                        return FindRow<storespb::Product>(
                            uow,
                            "SELECT id, store_id, name, price FROM products_cache WHERE id = $1",
                            id);
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
                            "INSERT INTO products_cache (id, store_id, name, price) "
                            "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                            {p.id(), p.store_id(), p.name(), p.price()});
                      }}) {}

  StoresClient client;
  CachedLookup<storespb::Store> stores;
  CachedLookup<storespb::Product> products;
};

class Catalog final : public application::Catalog {
 public:
  Catalog(UnitOfWork& uow, const Lookups& lookups) : uow_(uow), lookups_(lookups) {}

  absl::StatusOr<storespb::Product> FindProduct(const std::string& id) override {
    return lookups_.products.Get(uow_, id);
  }
  absl::StatusOr<storespb::Store> FindStore(const std::string& id) override {
    return lookups_.stores.Get(uow_, id);
  }

  void StoreCreated(const storespb::StoreCreated& e) override {
    uow_.Defer("INSERT INTO stores_cache (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
               {e.id(), e.name()});
  }
  void StoreRebranded(const storespb::StoreRebranded& e) override {
    uow_.Defer("UPDATE stores_cache SET name = $2, updated_at = now() WHERE id = $1",
               {e.id(), e.name()});
  }
  void ProductAdded(const storespb::ProductAdded& e) override {
    uow_.Defer(
        "INSERT INTO products_cache (id, store_id, name, price) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO NOTHING",
        {e.id(), e.store_id(), e.name(), e.price()});
  }
  void ProductRebranded(const storespb::ProductRebranded& e) override {
    uow_.Defer("UPDATE products_cache SET name = $2, updated_at = now() WHERE id = $1",
               {e.id(), e.name()});
  }
  void ProductPriceChanged(const storespb::ProductPriceChanged& e) override {
    uow_.Defer("UPDATE products_cache SET price = price + $2, updated_at = now() WHERE id = $1",
               {e.id(), e.delta()});
  }
  void ProductRemoved(const storespb::ProductRemoved& e) override {
    uow_.Defer("DELETE FROM products_cache WHERE id = $1", {e.id()});
  }

 private:
  UnitOfWork& uow_;
  const Lookups& lookups_;
};

}  // namespace

eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer stores) {
  return [baskets = eda::es::EventSourcedStore<domain::Basket>(
              eda::es::ProtoRepository<domain::Basket>({.snapshot_every = 3, .noun = "basket"}),
              {.integrate = application::BasketMessage}),
          lookups = std::make_shared<Lookups>(std::move(stores))](UnitOfWork& uow,
                                                                  const auto& use_case) {
    eda::es::BoundRepository<domain::Basket> basket_repository(baskets, uow);
    Catalog catalog(uow, *lookups);
    application::Ports ports{basket_repository, catalog};
    return use_case(ports);
  };
}

}  // namespace baskets::postgres
