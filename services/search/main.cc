// The search service: searchpb.SearchService over gRPC, the orders read model fed by ordering's
// events, with the names of customers, stores and products from caches kept from their
// contexts' events (asking the customers and stores services on a miss).
#include "libs/service/runtime.h"
#include "services/search/grpc/server.h"
#include "services/search/handlers/handlers.h"
#include "services/search/postgres/adapters.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("search", argc, argv, search::postgres::Migrations());
  search::grpc_api::SearchServer::UseCases app(
      rt->pool(), search::postgres::PortsFactory(rt->OpenPeerOrExit("customers"),
                                                 rt->OpenPeerOrExit("stores")));
  rt->ConsumeOrExit("search-customers", search::handlers::CustomerEvents(app));
  rt->ConsumeOrExit("search-stores", search::handlers::StoreEvents(app));
  rt->ConsumeOrExit("search-products", search::handlers::ProductEvents(app));
  rt->ConsumeOrExit("search-orders", search::handlers::OrderEvents(app));
  for (eda::service::ReadModel& model : search::handlers::ReadModels(app)) {
    rt->AddReadModelOrExit(std::move(model));
  }
  search::grpc_api::SearchServer grpc(app);
  return rt->Serve({{&grpc, "searchpb.SearchService"}});
}
