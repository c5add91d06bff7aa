// The ordering service: orderingpb.OrderingService over gRPC, event-sourced orders, ordersapi.*
// events through the outbox; orders from checked-out baskets, ready when their shopping list is
// completed, completed when their invoice is paid; the saga's RejectOrder/ApproveOrder commands.
#include "libs/service/runtime.h"
#include "services/baskets/api/messages.h"
#include "services/depot/api/messages.h"
#include "services/ordering/grpc/server.h"
#include "services/ordering/handlers/handlers.h"
#include "services/ordering/postgres/adapters.h"
#include "services/payments/api/messages.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("ordering", argc, argv, ordering::postgres::Migrations());
  ordering::grpc_api::OrderingServer::UseCases app(rt->pool(), ordering::postgres::PortsFactory());
  // Of the contexts' events, only those it acts on take a transaction (the rest are acked).
  rt->ConsumeOrExit("ordering-baskets", ordering::handlers::BasketEvents(app),
                    {.names = {baskets::api::kBasketCheckedOut}});
  rt->ConsumeOrExit("ordering-depot", ordering::handlers::DepotEvents(app),
                    {.names = {depot::api::kShoppingListCompleted}});
  rt->ConsumeOrExit("ordering-payments", ordering::handlers::PaymentEvents(app),
                    {.names = {payments::api::kInvoicePaid}});
  rt->ConsumeOrExit("ordering-commands", ordering::handlers::Commands(app));
  ordering::grpc_api::OrderingServer grpc(app);
  return rt->Serve({{&grpc, "orderingpb.OrderingService"}});
}
