// File: server.h
// paymentspb.PaymentsService over gRPC: each RPC runs its use case in a unit of work and replies.
#pragma once

#include "libs/grpcserver/status.h"
#include "libs/service/use_cases.h"
#include "proto/payments/payments_service.grpc.pb.h"
#include "services/payments/application/application.h"

namespace payments::grpc_api {

class PaymentsServer final : public paymentspb::PaymentsService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  explicit PaymentsServer(const UseCases& app) : app_(app) {}

  EDA_RPC_DECLARE(paymentspb, AuthorizePayment)
  EDA_RPC_DECLARE(paymentspb, ConfirmPayment)
  EDA_RPC_DECLARE(paymentspb, GetPayment)
  EDA_RPC_DECLARE(paymentspb, CreateInvoice)
  EDA_RPC_DECLARE(paymentspb, AdjustInvoice)
  EDA_RPC_DECLARE(paymentspb, PayInvoice)
  EDA_RPC_DECLARE(paymentspb, CancelInvoice)
  EDA_RPC_DECLARE(paymentspb, GetInvoice)

 private:
  const UseCases& app_;
};

}  // namespace payments::grpc_api
