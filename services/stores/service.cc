// File: service.cc
#include "services/stores/service.h"

#include <memory>
#include <utility>

#include "services/stores/grpc/server.h"
#include "services/stores/postgres/adapters.h"

namespace stores {
namespace {

struct Objects {
  explicit Objects(eda::service::Runtime& rt)
      : app(rt.pool(), postgres::PortsFactory()), grpc(app, rt.metrics()) {}
  grpc_api::StoresServer::UseCases app;
  grpc_api::StoresServer grpc;
};

}  // namespace

eda::service::Wired Wire(eda::service::Runtime& rt) {
  auto o = std::make_shared<Objects>(rt);
  return {{{&o->grpc, "storespb.StoresService"}}, o};
}

}  // namespace stores
