// File: service.cc
#include "services/ordering/service.h"

#include <memory>
#include <utility>

#include "services/baskets/api/messages.h"
#include "services/depot/api/messages.h"
#include "services/ordering/grpc/server.h"
#include "services/ordering/handlers/handlers.h"
#include "services/ordering/postgres/adapters.h"
#include "services/payments/api/messages.h"

namespace ordering {
namespace {

struct Objects {
  explicit Objects(eda::service::Runtime& rt)
      : app(rt.pool(), postgres::PortsFactory()), grpc(app) {}
  grpc_api::OrderingServer::UseCases app;
  grpc_api::OrderingServer grpc;
};

}  // namespace

eda::service::Wired Wire(eda::service::Runtime& rt) {
  auto o = std::make_shared<Objects>(rt);
  rt.ConsumeOrExit("ordering-baskets", handlers::BasketEvents(o->app),
                   {.names = {baskets::api::kBasketCheckedOut}});
  rt.ConsumeOrExit("ordering-depot", handlers::DepotEvents(o->app),
                   {.names = {depot::api::kShoppingListCompleted}});
  rt.ConsumeOrExit("ordering-payments", handlers::PaymentEvents(o->app),
                   {.names = {payments::api::kInvoicePaid}});
  rt.ConsumeOrExit("ordering-commands", handlers::Commands(o->app));
  return {{{&o->grpc, "orderingpb.OrderingService"}}, o};
}

}  // namespace ordering
