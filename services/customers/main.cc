// The customers service: customerspb.CustomersService over gRPC, customersapi.* events through
// the outbox, and customersapi.AuthorizeCustomer commands from the saga.
#include "libs/service/runtime.h"
#include "services/customers/grpc/server.h"
#include "services/customers/handlers/commands.h"
#include "services/customers/postgres/adapters.h"

int main(int argc, char** argv) {
  auto rt = eda::service::Runtime::StartOrExit("customers", argc, argv,
                                               customers::postgres::Migrations());
  customers::grpc_api::CustomersServer::UseCases app(rt->pool(),
                                                     customers::postgres::PortsFactory());
  rt->ConsumeOrExit("customer-commands", customers::handlers::CommandHandler(app));
  customers::grpc_api::CustomersServer grpc(app, rt->metrics());
  return rt->Serve({{&grpc, "customerspb.CustomersService"}});
}
