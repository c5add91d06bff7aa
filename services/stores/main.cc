// The stores service: storespb.StoresService over gRPC, event-sourced stores and products, and
// storesapi.* events through the outbox.
#include "services/stores/postgres/adapters.h"
#include "services/stores/service.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("stores", argc, argv, stores::postgres::Migrations());
  eda::service::Wired service = stores::Wire(*rt);
  return rt->Serve(service.grpc);
}
