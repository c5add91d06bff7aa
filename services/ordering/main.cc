// The ordering service: orderingpb.OrderingService over gRPC, event-sourced orders, ordersapi.*
// events through the outbox; orders from checked-out baskets, ready when their shopping list is
// completed, completed when their invoice is paid; the saga's RejectOrder/ApproveOrder commands.
#include "services/ordering/postgres/adapters.h"
#include "services/ordering/service.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("ordering", argc, argv, ordering::postgres::Migrations());
  eda::service::Wired service = ordering::Wire(*rt);
  return rt->Serve(service.grpc);
}
