// File: server.h
// customerspb.CustomersService over gRPC: validates the request, runs the use case in a unit of
// work, maps the status (NOT_FOUND, INVALID_ARGUMENT, UNAUTHENTICATED, ...) with its message.
#pragma once

#include "libs/observability/metrics.h"
#include "libs/pg/pool.h"
#include "proto/customers/customers_service.grpc.pb.h"

namespace customers::grpc_api {

class CustomersServer final : public customerspb::CustomersService::Service {
 public:
  CustomersServer(eda::pg::Pool& pool, eda::obs::MetricsRegistry& metrics);

  ::grpc::Status RegisterCustomer(::grpc::ServerContext*,
                                  const customerspb::RegisterCustomerRequest*,
                                  customerspb::RegisterCustomerResponse*) override;
  ::grpc::Status AuthorizeCustomer(::grpc::ServerContext*,
                                   const customerspb::AuthorizeCustomerRequest*,
                                   customerspb::AuthorizeCustomerResponse*) override;
  ::grpc::Status GetCustomer(::grpc::ServerContext*, const customerspb::GetCustomerRequest*,
                             customerspb::GetCustomerResponse*) override;
  ::grpc::Status EnableCustomer(::grpc::ServerContext*, const customerspb::EnableCustomerRequest*,
                                customerspb::EnableCustomerResponse*) override;
  ::grpc::Status DisableCustomer(::grpc::ServerContext*, const customerspb::DisableCustomerRequest*,
                                 customerspb::DisableCustomerResponse*) override;
  ::grpc::Status ChangeSmsNumber(::grpc::ServerContext*, const customerspb::ChangeSmsNumberRequest*,
                                 customerspb::ChangeSmsNumberResponse*) override;

 private:
  eda::pg::Pool& pool_;
  prometheus::Counter& registered_;
};

}  // namespace customers::grpc_api
