// The depot service: depotpb.DepotService over gRPC, state-stored shopping lists,
// depotapi.ShoppingListCompleted through the outbox, a catalog kept from the stores' events
// (asking the stores service on a miss), and the saga's shopping-list commands.
#include "libs/service/runtime.h"
#include "services/depot/grpc/server.h"
#include "services/depot/handlers/handlers.h"
#include "services/depot/postgres/adapters.h"

int main(int argc, char** argv) {
  auto rt = eda::service::Runtime::StartOrExit("depot", argc, argv, depot::postgres::Migrations());
  depot::grpc_api::DepotServer::UseCases app(
      rt->pool(), depot::postgres::PortsFactory(rt->OpenPeerOrExit("stores")));
  rt->ConsumeOrExit("depot-stores", depot::handlers::StoreEvents(app));
  rt->ConsumeOrExit("depot-products", depot::handlers::ProductEvents(app));
  for (eda::service::ReadModel& model : depot::handlers::ReadModels(app)) {
    rt->AddReadModelOrExit(std::move(model));
  }
  rt->ConsumeOrExit("depot-commands", depot::handlers::Commands(app));
  depot::grpc_api::DepotServer grpc(app);
  return rt->Serve({{&grpc, "depotpb.DepotService"}});
}
