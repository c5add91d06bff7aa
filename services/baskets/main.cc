// The baskets service: basketspb.BasketService over gRPC, event-sourced baskets, basketsapi.*
// events through the outbox, and a catalog kept from the stores' events (asking the stores
// service on a miss).
#include "libs/service/runtime.h"
#include "services/baskets/grpc/server.h"
#include "services/baskets/handlers/stores.h"
#include "services/baskets/postgres/adapters.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("baskets", argc, argv, baskets::postgres::Migrations());
  baskets::grpc_api::BasketsServer::UseCases app(
      rt->pool(), baskets::postgres::PortsFactory(rt->OpenPeerOrExit("stores")));
  rt->ConsumeOrExit("baskets-stores", baskets::handlers::StoreEvents(app));
  rt->ConsumeOrExit("baskets-products", baskets::handlers::ProductEvents(app));
  for (eda::service::ReadModel& model : baskets::handlers::ReadModels(app)) {
    rt->AddReadModelOrExit(std::move(model));
  }
  baskets::grpc_api::BasketsServer grpc(app, rt->metrics());
  return rt->Serve({{&grpc, "basketspb.BasketService"}});
}
