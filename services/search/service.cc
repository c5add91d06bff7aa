// File: service.cc
#include "services/search/service.h"

#include <memory>
#include <utility>

#include "services/search/grpc/server.h"
#include "services/search/handlers/handlers.h"
#include "services/search/postgres/adapters.h"

namespace search {
namespace {

struct Objects {
  explicit Objects(eda::service::Runtime& rt)
      : app(rt.pool(),
            postgres::PortsFactory(rt.OpenPeerOrExit("customers"), rt.OpenPeerOrExit("stores"))),
        grpc(app) {}
  grpc_api::SearchServer::UseCases app;
  grpc_api::SearchServer grpc;
};

}  // namespace

eda::service::Wired Wire(eda::service::Runtime& rt) {
  auto o = std::make_shared<Objects>(rt);
  rt.ConsumeOrExit("search-customers", handlers::CustomerEvents(o->app));
  rt.ConsumeOrExit("search-stores", handlers::StoreEvents(o->app));
  rt.ConsumeOrExit("search-products", handlers::ProductEvents(o->app));
  rt.ConsumeOrExit("search-orders", handlers::OrderEvents(o->app));
  for (eda::service::ReadModel& model : handlers::ReadModels(o->app)) {
    rt.AddReadModelOrExit(std::move(model));
  }
  return {{{&o->grpc, "searchpb.SearchService"}}, o};
}

}  // namespace search
