// File: service.cc
#include "services/baskets/service.h"

#include <memory>
#include <utility>

#include "services/baskets/grpc/server.h"
#include "services/baskets/handlers/stores.h"
#include "services/baskets/postgres/adapters.h"

namespace baskets {
namespace {

struct Objects {
  explicit Objects(eda::service::Runtime& rt)
      : app(rt.pool(), postgres::PortsFactory(rt.OpenPeerOrExit("stores"))),
        grpc(app, rt.metrics()) {}
  grpc_api::BasketsServer::UseCases app;
  grpc_api::BasketsServer grpc;
};

}  // namespace

eda::service::Wired Wire(eda::service::Runtime& rt) {
  auto o = std::make_shared<Objects>(rt);
  rt.ConsumeOrExit("baskets-stores", handlers::StoreEvents(o->app));
  rt.ConsumeOrExit("baskets-products", handlers::ProductEvents(o->app));
  for (eda::service::ReadModel& model : handlers::ReadModels(o->app)) {
    rt.AddReadModelOrExit(std::move(model));
  }
  return {{{&o->grpc, "basketspb.BasketService"}}, o};
}

}  // namespace baskets
