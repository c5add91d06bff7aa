// File: service.cc
#include "services/customers/service.h"

#include <memory>
#include <utility>

#include "services/customers/grpc/server.h"
#include "services/customers/handlers/commands.h"
#include "services/customers/postgres/adapters.h"

namespace customers {
namespace {

struct Objects {
  explicit Objects(eda::service::Runtime& rt)
      : app(rt.pool(), postgres::PortsFactory()), grpc(app, rt.metrics()) {}
  grpc_api::CustomersServer::UseCases app;
  grpc_api::CustomersServer grpc;
};

}  // namespace

eda::service::Wired Wire(eda::service::Runtime& rt) {
  auto o = std::make_shared<Objects>(rt);
  rt.ConsumeOrExit("customer-commands", handlers::CommandHandler(o->app));
  return {{{&o->grpc, "customerspb.CustomersService"}}, o};
}

}  // namespace customers
