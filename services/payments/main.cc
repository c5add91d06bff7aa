// The payments service: paymentspb.PaymentsService over gRPC, state-stored payments and
// invoices, paymentsapi.InvoicePaid through the outbox; an invoice for each readied order; the
// saga's ConfirmPayment/ReleasePayment commands.
#include "libs/service/runtime.h"
#include "services/ordering/api/messages.h"
#include "services/payments/grpc/server.h"
#include "services/payments/handlers/handlers.h"
#include "services/payments/postgres/adapters.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("payments", argc, argv, payments::postgres::Migrations());
  payments::grpc_api::PaymentsServer::UseCases app(rt->pool(), payments::postgres::PortsFactory());
  rt->ConsumeOrExit("payment-orders", payments::handlers::OrderEvents(app),
                    {.names = {ordering::api::kOrderReadied}});
  rt->ConsumeOrExit("payment-commands", payments::handlers::Commands(app));
  payments::grpc_api::PaymentsServer grpc(app);
  return rt->Serve({{&grpc, "paymentspb.PaymentsService"}});
}
