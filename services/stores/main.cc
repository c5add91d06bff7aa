// The stores service: storespb.StoresService over gRPC, event-sourced stores and products, and
// storesapi.* events through the outbox.
#include "libs/service/runtime.h"
#include "services/stores/grpc/server.h"
#include "services/stores/postgres/adapters.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("stores", argc, argv, stores::postgres::Migrations());
  stores::grpc_api::StoresServer::UseCases app(rt->pool(), stores::postgres::PortsFactory());
  stores::grpc_api::StoresServer grpc(app, rt->metrics());
  return rt->Serve({{&grpc, "storespb.StoresService"}});
}
