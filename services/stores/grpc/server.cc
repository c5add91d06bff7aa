#include "services/stores/grpc/server.h"

namespace stores::grpc_api {

using application::Ports;
using eda::grpcserver::Into;
using eda::grpcserver::Reply;
namespace app = application;

StoresServer::StoresServer(const UseCases& app, eda::obs::MetricsRegistry& metrics)
    : app_(app),
      stores_created_(metrics.Counter("stores_created_count", "Stores created.").Add({})),
      products_added_(metrics.Counter("stores_products_added_count", "Products added.").Add({})) {}

EDA_RPC(StoresServer, storespb, CreateStore) {
  return Reply(
      app_.Run([&](Ports& p) { return app::CreateStore(p, req->name(), req->location()); }),
      [&](std::string id) {
        resp->set_id(std::move(id));
        stores_created_.Increment();
      });
}

EDA_RPC(StoresServer, storespb, EnableParticipation) {
  return Reply(app_.Run([&](Ports& p) { return app::EnableParticipation(p, req->id()); }));
}

EDA_RPC(StoresServer, storespb, DisableParticipation) {
  return Reply(app_.Run([&](Ports& p) { return app::DisableParticipation(p, req->id()); }));
}

EDA_RPC(StoresServer, storespb, RebrandStore) {
  return Reply(app_.Run([&](Ports& p) { return app::RebrandStore(p, req->id(), req->name()); }));
}

EDA_RPC(StoresServer, storespb, GetStore) {
  return Reply(app_.Run([&](Ports& p) { return app::GetStore(p, req->id()); }),
               Into(resp->mutable_store()));
}

EDA_RPC(StoresServer, storespb, GetStores) {
  return Reply(app_.Run([&](Ports& p) { return app::GetStores(p, false); }),
               Into(resp->mutable_stores()));
}

EDA_RPC(StoresServer, storespb, GetParticipatingStores) {
  return Reply(app_.Run([&](Ports& p) { return app::GetStores(p, true); }),
               Into(resp->mutable_stores()));
}

EDA_RPC(StoresServer, storespb, AddProduct) {
  return Reply(app_.Run([&](Ports& p) {
    return app::AddProduct(p, req->store_id(), req->name(), req->description(), req->sku(),
                           req->price());
  }),
               [&](std::string id) {
                 resp->set_id(std::move(id));
                 products_added_.Increment();
               });
}

EDA_RPC(StoresServer, storespb, RebrandProduct) {
  return Reply(app_.Run([&](Ports& p) {
    return app::RebrandProduct(p, req->id(), req->name(), req->description());
  }));
}

EDA_RPC(StoresServer, storespb, IncreaseProductPrice) {
  return Reply(
      app_.Run([&](Ports& p) { return app::IncreaseProductPrice(p, req->id(), req->price()); }));
}

EDA_RPC(StoresServer, storespb, DecreaseProductPrice) {
  return Reply(
      app_.Run([&](Ports& p) { return app::DecreaseProductPrice(p, req->id(), req->price()); }));
}

EDA_RPC(StoresServer, storespb, RemoveProduct) {
  return Reply(app_.Run([&](Ports& p) { return app::RemoveProduct(p, req->id()); }));
}

EDA_RPC(StoresServer, storespb, GetProduct) {
  return Reply(app_.Run([&](Ports& p) { return app::GetProduct(p, req->id()); }),
               Into(resp->mutable_product()));
}

EDA_RPC(StoresServer, storespb, GetCatalog) {
  return Reply(app_.Run([&](Ports& p) { return app::GetCatalog(p, req->store_id()); }),
               Into(resp->mutable_products()));
}

}  // namespace stores::grpc_api
