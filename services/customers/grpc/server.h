// File: server.h
// customerspb.CustomersService over gRPC: each RPC runs its use case in a unit of work and replies
// (NOT_FOUND, INVALID_ARGUMENT, UNAUTHENTICATED, ... with the spec's messages).
#pragma once

#include "libs/grpcserver/status.h"
#include "libs/observability/metrics.h"
#include "libs/service/use_cases.h"
#include "proto/customers/customers_service.grpc.pb.h"
#include "services/customers/application/application.h"

namespace customers::grpc_api {

class CustomersServer final : public customerspb::CustomersService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  CustomersServer(const UseCases& app, eda::obs::MetricsRegistry& metrics);

  EDA_RPC_DECLARE(customerspb, RegisterCustomer)
  EDA_RPC_DECLARE(customerspb, AuthorizeCustomer)
  EDA_RPC_DECLARE(customerspb, GetCustomer)
  EDA_RPC_DECLARE(customerspb, EnableCustomer)
  EDA_RPC_DECLARE(customerspb, DisableCustomer)
  EDA_RPC_DECLARE(customerspb, ChangeSmsNumber)

 private:
  const UseCases& app_;
  prometheus::Counter& registered_;
};

}  // namespace customers::grpc_api
