// File: service.cc
#include "services/depot/service.h"

#include <memory>
#include <utility>

#include "services/depot/grpc/server.h"
#include "services/depot/handlers/handlers.h"
#include "services/depot/postgres/adapters.h"

namespace depot {
namespace {

struct Objects {
  explicit Objects(eda::service::Runtime& rt)
      : app(rt.pool(), postgres::PortsFactory(rt.OpenPeerOrExit("stores"))), grpc(app) {}
  grpc_api::DepotServer::UseCases app;
  grpc_api::DepotServer grpc;
};

}  // namespace

eda::service::Wired Wire(eda::service::Runtime& rt) {
  auto o = std::make_shared<Objects>(rt);
  rt.ConsumeOrExit("depot-stores", handlers::StoreEvents(o->app));
  rt.ConsumeOrExit("depot-products", handlers::ProductEvents(o->app));
  rt.ConsumeOrExit("depot-commands", handlers::Commands(o->app));
  for (eda::service::ReadModel& model : handlers::ReadModels(o->app)) {
    rt.AddReadModelOrExit(std::move(model));
  }
  return {{{&o->grpc, "depotpb.DepotService"}}, o};
}

}  // namespace depot
