#include "services/stores/grpc/server.h"

#include "libs/grpcserver/status.h"

namespace stores::grpc_api {
namespace {

using application::Ports;
using eda::grpcserver::Into;
using eda::grpcserver::Reply;
using grpc::ServerContext;
using grpc::Status;
namespace app = application;

}  // namespace

StoresServer::StoresServer(const UseCases& app, eda::obs::MetricsRegistry& metrics)
    : app_(app),
      stores_created_(metrics.Counter("stores_created_count", "Stores created.").Add({})),
      products_added_(metrics.Counter("stores_products_added_count", "Products added.").Add({})) {}

Status StoresServer::CreateStore(ServerContext*, const storespb::CreateStoreRequest* req,
                                 storespb::CreateStoreResponse* resp) {
  return Reply(
      app_.Run([&](Ports& p) { return app::CreateStore(p, req->name(), req->location()); }),
      [&](std::string id) {
        resp->set_id(std::move(id));
        stores_created_.Increment();
      });
}

Status StoresServer::EnableParticipation(ServerContext*,
                                         const storespb::EnableParticipationRequest* req,
                                         storespb::EnableParticipationResponse*) {
  return Reply(app_.Run([&](Ports& p) { return app::EnableParticipation(p, req->id()); }));
}

Status StoresServer::DisableParticipation(ServerContext*,
                                          const storespb::DisableParticipationRequest* req,
                                          storespb::DisableParticipationResponse*) {
  return Reply(app_.Run([&](Ports& p) { return app::DisableParticipation(p, req->id()); }));
}

Status StoresServer::RebrandStore(ServerContext*, const storespb::RebrandStoreRequest* req,
                                  storespb::RebrandStoreResponse*) {
  return Reply(app_.Run([&](Ports& p) { return app::RebrandStore(p, req->id(), req->name()); }));
}

Status StoresServer::GetStore(ServerContext*, const storespb::GetStoreRequest* req,
                              storespb::GetStoreResponse* resp) {
  return Reply(app_.Run([&](Ports& p) { return app::GetStore(p, req->id()); }),
               Into(resp->mutable_store()));
}

Status StoresServer::GetStores(ServerContext*, const storespb::GetStoresRequest*,
                               storespb::GetStoresResponse* resp) {
  return Reply(app_.Run([&](Ports& p) { return app::GetStores(p, false); }),
               Into(resp->mutable_stores()));
}

Status StoresServer::GetParticipatingStores(ServerContext*,
                                            const storespb::GetParticipatingStoresRequest*,
                                            storespb::GetParticipatingStoresResponse* resp) {
  return Reply(app_.Run([&](Ports& p) { return app::GetStores(p, true); }),
               Into(resp->mutable_stores()));
}

Status StoresServer::AddProduct(ServerContext*, const storespb::AddProductRequest* req,
                                storespb::AddProductResponse* resp) {
  return Reply(app_.Run([&](Ports& p) {
    return app::AddProduct(p, req->store_id(), req->name(), req->description(), req->sku(),
                           req->price());
  }),
               [&](std::string id) {
                 resp->set_id(std::move(id));
                 products_added_.Increment();
               });
}

Status StoresServer::RebrandProduct(ServerContext*, const storespb::RebrandProductRequest* req,
                                    storespb::RebrandProductResponse*) {
  return Reply(app_.Run([&](Ports& p) {
    return app::RebrandProduct(p, req->id(), req->name(), req->description());
  }));
}

Status StoresServer::IncreaseProductPrice(ServerContext*,
                                          const storespb::IncreaseProductPriceRequest* req,
                                          storespb::IncreaseProductPriceResponse*) {
  return Reply(
      app_.Run([&](Ports& p) { return app::IncreaseProductPrice(p, req->id(), req->price()); }));
}

Status StoresServer::DecreaseProductPrice(ServerContext*,
                                          const storespb::DecreaseProductPriceRequest* req,
                                          storespb::DecreaseProductPriceResponse*) {
  return Reply(
      app_.Run([&](Ports& p) { return app::DecreaseProductPrice(p, req->id(), req->price()); }));
}

Status StoresServer::RemoveProduct(ServerContext*, const storespb::RemoveProductRequest* req,
                                   storespb::RemoveProductResponse*) {
  return Reply(app_.Run([&](Ports& p) { return app::RemoveProduct(p, req->id()); }));
}

Status StoresServer::GetProduct(ServerContext*, const storespb::GetProductRequest* req,
                                storespb::GetProductResponse* resp) {
  return Reply(app_.Run([&](Ports& p) { return app::GetProduct(p, req->id()); }),
               Into(resp->mutable_product()));
}

Status StoresServer::GetCatalog(ServerContext*, const storespb::GetCatalogRequest* req,
                                storespb::GetCatalogResponse* resp) {
  return Reply(app_.Run([&](Ports& p) { return app::GetCatalog(p, req->store_id()); }),
               Into(resp->mutable_products()));
}

}  // namespace stores::grpc_api
