// The search service: searchpb.SearchService over gRPC, the orders read model fed by ordering's
// events, with the names of customers, stores and products from caches kept from their
// contexts' events (asking the customers and stores services on a miss).
#include "services/search/postgres/adapters.h"
#include "services/search/service.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("search", argc, argv, search::postgres::Migrations());
  eda::service::Wired service = search::Wire(*rt);
  return rt->Serve(service.grpc);
}
