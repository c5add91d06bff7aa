// The baskets service: basketspb.BasketService over gRPC, event-sourced baskets, basketsapi.*
// events through the outbox, and a catalog kept from the stores' events (asking the stores
// service on a miss).
#include "services/baskets/postgres/adapters.h"
#include "services/baskets/service.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("baskets", argc, argv, baskets::postgres::Migrations());
  eda::service::Wired service = baskets::Wire(*rt);
  return rt->Serve(service.grpc);
}
