// The customers service: customerspb.CustomersService over gRPC, customersapi.* events through
// the outbox, and customersapi.AuthorizeCustomer commands from the saga.
#include "services/customers/postgres/adapters.h"
#include "services/customers/service.h"

int main(int argc, char** argv) {
  auto rt = eda::service::Runtime::StartOrExit("customers", argc, argv,
                                               customers::postgres::Migrations());
  eda::service::Wired service = customers::Wire(*rt);
  return rt->Serve(service.grpc);
}
