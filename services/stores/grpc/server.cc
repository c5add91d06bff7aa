#include "services/stores/grpc/server.h"

#include "libs/common/ids.h"
#include "libs/grpcserver/status.h"
#include "libs/outbox/unit_of_work.h"
#include "services/stores/application/application.h"
#include "services/stores/postgres/store.h"

namespace stores::grpc_api {
namespace {

using application::Ports;

template <typename Fn>
::grpc::Status InUnitOfWork(eda::pg::Pool& pool, Fn fn) {
  return eda::grpcserver::ToGrpcStatus(
      eda::outbox::RunUnitOfWork(pool, [&](eda::outbox::UnitOfWork& uow) {
        postgres::StoreRepository stores(uow);
        postgres::ProductRepository products(uow);
        postgres::Catalog catalog(uow);
        Ports ports{stores, products, catalog};
        return fn(ports);
      }));
}

void Fill(storespb::Store* out, const domain::StoreView& s) {
  out->set_id(s.id);
  out->set_name(s.name);
  out->set_location(s.location);
  out->set_participating(s.participating);
}

void Fill(storespb::Product* out, const domain::ProductView& p) {
  out->set_id(p.id);
  out->set_store_id(p.store_id);
  out->set_name(p.name);
  out->set_description(p.description);
  out->set_sku(p.sku);
  out->set_price(p.price);
}

}  // namespace

StoresServer::StoresServer(eda::pg::Pool& pool, eda::obs::MetricsRegistry& metrics)
    : pool_(pool),
      stores_created_(metrics.Counter("stores_created_count", "Stores created.").Add({})),
      products_added_(metrics.Counter("stores_products_added_count", "Products added.").Add({})) {}

::grpc::Status StoresServer::CreateStore(::grpc::ServerContext*,
                                         const storespb::CreateStoreRequest* req,
                                         storespb::CreateStoreResponse* resp) {
  ::grpc::Status s = InUnitOfWork(pool_, [&](Ports& p) -> absl::Status {
    absl::StatusOr<std::string> id =
        application::CreateStore(p, eda::NewUuid, req->name(), req->location());
    if (!id.ok()) return id.status();
    resp->set_id(*id);
    return absl::OkStatus();
  });
  if (s.ok()) stores_created_.Increment();
  return s;
}

::grpc::Status StoresServer::EnableParticipation(::grpc::ServerContext*,
                                                 const storespb::EnableParticipationRequest* req,
                                                 storespb::EnableParticipationResponse*) {
  return InUnitOfWork(pool_,
                      [&](Ports& p) { return application::EnableParticipation(p, req->id()); });
}

::grpc::Status StoresServer::DisableParticipation(::grpc::ServerContext*,
                                                  const storespb::DisableParticipationRequest* req,
                                                  storespb::DisableParticipationResponse*) {
  return InUnitOfWork(pool_,
                      [&](Ports& p) { return application::DisableParticipation(p, req->id()); });
}

::grpc::Status StoresServer::RebrandStore(::grpc::ServerContext*,
                                          const storespb::RebrandStoreRequest* req,
                                          storespb::RebrandStoreResponse*) {
  return InUnitOfWork(
      pool_, [&](Ports& p) { return application::RebrandStore(p, req->id(), req->name()); });
}

::grpc::Status StoresServer::GetStore(::grpc::ServerContext*, const storespb::GetStoreRequest* req,
                                      storespb::GetStoreResponse* resp) {
  return InUnitOfWork(pool_, [&](Ports& p) -> absl::Status {
    absl::StatusOr<domain::StoreView> s = application::GetStore(p, req->id());
    if (!s.ok()) return s.status();
    Fill(resp->mutable_store(), *s);
    return absl::OkStatus();
  });
}

::grpc::Status StoresServer::GetStores(::grpc::ServerContext*, const storespb::GetStoresRequest*,
                                       storespb::GetStoresResponse* resp) {
  return InUnitOfWork(pool_, [&](Ports& p) -> absl::Status {
    auto stores = application::GetStores(p, false);
    if (!stores.ok()) return stores.status();
    resp->clear_stores();
    for (const auto& s : *stores) Fill(resp->add_stores(), s);
    return absl::OkStatus();
  });
}

::grpc::Status StoresServer::GetParticipatingStores(
    ::grpc::ServerContext*, const storespb::GetParticipatingStoresRequest*,
    storespb::GetParticipatingStoresResponse* resp) {
  return InUnitOfWork(pool_, [&](Ports& p) -> absl::Status {
    auto stores = application::GetStores(p, true);
    if (!stores.ok()) return stores.status();
    resp->clear_stores();
    for (const auto& s : *stores) Fill(resp->add_stores(), s);
    return absl::OkStatus();
  });
}

::grpc::Status StoresServer::AddProduct(::grpc::ServerContext*,
                                        const storespb::AddProductRequest* req,
                                        storespb::AddProductResponse* resp) {
  ::grpc::Status s = InUnitOfWork(pool_, [&](Ports& p) -> absl::Status {
    absl::StatusOr<std::string> id =
        application::AddProduct(p, eda::NewUuid, req->store_id(), req->name(), req->description(),
                                req->sku(), req->price());
    if (!id.ok()) return id.status();
    resp->set_id(*id);
    return absl::OkStatus();
  });
  if (s.ok()) products_added_.Increment();
  return s;
}

::grpc::Status StoresServer::RebrandProduct(::grpc::ServerContext*,
                                            const storespb::RebrandProductRequest* req,
                                            storespb::RebrandProductResponse*) {
  return InUnitOfWork(pool_, [&](Ports& p) {
    return application::RebrandProduct(p, req->id(), req->name(), req->description());
  });
}

::grpc::Status StoresServer::IncreaseProductPrice(::grpc::ServerContext*,
                                                  const storespb::IncreaseProductPriceRequest* req,
                                                  storespb::IncreaseProductPriceResponse*) {
  return InUnitOfWork(pool_, [&](Ports& p) {
    return application::IncreaseProductPrice(p, req->id(), req->price());
  });
}

::grpc::Status StoresServer::DecreaseProductPrice(::grpc::ServerContext*,
                                                  const storespb::DecreaseProductPriceRequest* req,
                                                  storespb::DecreaseProductPriceResponse*) {
  return InUnitOfWork(pool_, [&](Ports& p) {
    return application::DecreaseProductPrice(p, req->id(), req->price());
  });
}

::grpc::Status StoresServer::RemoveProduct(::grpc::ServerContext*,
                                           const storespb::RemoveProductRequest* req,
                                           storespb::RemoveProductResponse*) {
  return InUnitOfWork(pool_, [&](Ports& p) { return application::RemoveProduct(p, req->id()); });
}

::grpc::Status StoresServer::GetProduct(::grpc::ServerContext*,
                                        const storespb::GetProductRequest* req,
                                        storespb::GetProductResponse* resp) {
  return InUnitOfWork(pool_, [&](Ports& p) -> absl::Status {
    absl::StatusOr<domain::ProductView> product = application::GetProduct(p, req->id());
    if (!product.ok()) return product.status();
    Fill(resp->mutable_product(), *product);
    return absl::OkStatus();
  });
}

::grpc::Status StoresServer::GetCatalog(::grpc::ServerContext*,
                                        const storespb::GetCatalogRequest* req,
                                        storespb::GetCatalogResponse* resp) {
  return InUnitOfWork(pool_, [&](Ports& p) -> absl::Status {
    auto products = application::GetCatalog(p, req->store_id());
    if (!products.ok()) return products.status();
    resp->clear_products();
    for (const auto& x : *products) Fill(resp->add_products(), x);
    return absl::OkStatus();
  });
}

}  // namespace stores::grpc_api
