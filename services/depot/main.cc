// The depot service: depotpb.DepotService over gRPC, state-stored shopping lists,
// depotapi.ShoppingListCompleted through the outbox, a catalog kept from the stores' events
// (asking the stores service on a miss), and the saga's shopping-list commands.
#include "services/depot/postgres/adapters.h"
#include "services/depot/service.h"

int main(int argc, char** argv) {
  auto rt = eda::service::Runtime::StartOrExit("depot", argc, argv, depot::postgres::Migrations());
  eda::service::Wired service = depot::Wire(*rt);
  return rt->Serve(service.grpc);
}
