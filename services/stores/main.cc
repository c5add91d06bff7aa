// The stores service: storespb.StoresService over gRPC, event-sourced stores and products, and
// storesapi.* events through the outbox.
#include <cstdio>

#include "libs/observability/logging.h"
#include "libs/service/runtime.h"
#include "services/stores/grpc/server.h"
#include "services/stores/postgres/store.h"

int main(int argc, char** argv) {
  auto settings = eda::service::Settings::Load("stores", argc, argv);
  if (!settings.ok()) {
    std::fprintf(stderr, "stores: %s\n", std::string(settings.status().message()).c_str());
    return 2;
  }
  auto runtime = eda::service::Runtime::Start(*settings, stores::postgres::Migrations());
  if (!runtime.ok()) {
    LOG_ERROR() << "startup failed" << eda::KV("error", runtime.status());
    return 1;
  }
  stores::grpc_api::StoresServer grpc((*runtime)->pool(), (*runtime)->metrics());
  return (*runtime)->Serve({{&grpc, "storespb.StoresService"}});
}
