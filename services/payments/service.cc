// File: service.cc
#include "services/payments/service.h"

#include <memory>
#include <utility>

#include "services/ordering/api/messages.h"
#include "services/payments/grpc/server.h"
#include "services/payments/handlers/handlers.h"
#include "services/payments/postgres/adapters.h"

namespace payments {
namespace {

struct Objects {
  explicit Objects(eda::service::Runtime& rt)
      : app(rt.pool(), postgres::PortsFactory()), grpc(app) {}
  grpc_api::PaymentsServer::UseCases app;
  grpc_api::PaymentsServer grpc;
};

}  // namespace

eda::service::Wired Wire(eda::service::Runtime& rt) {
  auto o = std::make_shared<Objects>(rt);
  rt.ConsumeOrExit("payment-orders", handlers::OrderEvents(o->app),
                   {.names = {ordering::api::kOrderReadied}});
  rt.ConsumeOrExit("payment-commands", handlers::Commands(o->app));
  return {{{&o->grpc, "paymentspb.PaymentsService"}}, o};
}

}  // namespace payments
