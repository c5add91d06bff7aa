// The customers service: customerspb.CustomersService over gRPC, customersapi.* events through
// the outbox, and customersapi.AuthorizeCustomer commands from the saga.
#include <cstdio>

#include "libs/observability/logging.h"
#include "libs/service/runtime.h"
#include "services/customers/grpc/server.h"
#include "services/customers/handlers/commands.h"
#include "services/customers/postgres/store.h"

int main(int argc, char** argv) {
  auto settings = eda::service::Settings::Load("customers", argc, argv);
  if (!settings.ok()) {
    std::fprintf(stderr, "customers: %s\n", std::string(settings.status().message()).c_str());
    return 2;
  }
  auto runtime = eda::service::Runtime::Start(*settings, customers::postgres::Migrations());
  if (!runtime.ok()) {
    LOG_ERROR() << "startup failed" << eda::KV("error", runtime.status());
    return 1;
  }
  eda::service::Runtime& rt = **runtime;
  if (absl::Status s = rt.Consume("customer-commands", customers::handlers::CommandHandler());
      !s.ok()) {
    LOG_ERROR() << "startup failed" << eda::KV("error", s);
    return 1;
  }
  customers::grpc_api::CustomersServer grpc(rt.pool(), rt.metrics());
  return rt.Serve({{&grpc, "customerspb.CustomersService"}});
}
