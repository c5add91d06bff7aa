// The payments service: paymentspb.PaymentsService over gRPC, state-stored payments and
// invoices, paymentsapi.InvoicePaid through the outbox; an invoice for each readied order; the
// saga's ConfirmPayment/ReleasePayment commands.
#include "services/payments/postgres/adapters.h"
#include "services/payments/service.h"

int main(int argc, char** argv) {
  auto rt =
      eda::service::Runtime::StartOrExit("payments", argc, argv, payments::postgres::Migrations());
  eda::service::Wired service = payments::Wire(*rt);
  return rt->Serve(service.grpc);
}
