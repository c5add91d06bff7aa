// File: server.h
// orderingpb.OrderingService over gRPC: each RPC runs its use case in a unit of work and replies.
#pragma once

#include "libs/grpcserver/status.h"
#include "libs/service/use_cases.h"
#include "proto/ordering/ordering_service.grpc.pb.h"
#include "services/ordering/application/application.h"

namespace ordering::grpc_api {

class OrderingServer final : public orderingpb::OrderingService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  explicit OrderingServer(const UseCases& app) : app_(app) {}

  EDA_RPC_DECLARE(orderingpb, CreateOrder)
  EDA_RPC_DECLARE(orderingpb, GetOrder)
  EDA_RPC_DECLARE(orderingpb, CancelOrder)
  EDA_RPC_DECLARE(orderingpb, ReadyOrder)
  EDA_RPC_DECLARE(orderingpb, CompleteOrder)

 private:
  const UseCases& app_;
};

}  // namespace ordering::grpc_api
