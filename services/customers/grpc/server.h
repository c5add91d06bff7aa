// File: server.h
// customerspb.CustomersService over gRPC: each RPC runs its use case in a unit of work and replies
// (NOT_FOUND, INVALID_ARGUMENT, UNAUTHENTICATED, ... with the spec's messages).
#pragma once

#include "libs/observability/metrics.h"
#include "libs/service/use_cases.h"
#include "proto/customers/customers_service.grpc.pb.h"
#include "services/customers/application/application.h"

namespace customers::grpc_api {

class CustomersServer final : public customerspb::CustomersService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  CustomersServer(const UseCases& app, eda::obs::MetricsRegistry& metrics);

#define EDA_CUSTOMERS_RPC(Name)                                                  \
  ::grpc::Status Name(::grpc::ServerContext*, const customerspb::Name##Request*, \
                      customerspb::Name##Response*) override;
  EDA_CUSTOMERS_RPC(RegisterCustomer)
  EDA_CUSTOMERS_RPC(AuthorizeCustomer)
  EDA_CUSTOMERS_RPC(GetCustomer)
  EDA_CUSTOMERS_RPC(EnableCustomer)
  EDA_CUSTOMERS_RPC(DisableCustomer)
  EDA_CUSTOMERS_RPC(ChangeSmsNumber)
#undef EDA_CUSTOMERS_RPC

 private:
  const UseCases& app_;
  prometheus::Counter& registered_;
};

}  // namespace customers::grpc_api
