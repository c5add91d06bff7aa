// File: server.h
// basketspb.BasketService over gRPC: each RPC runs its use case in a unit of work and replies.
#pragma once

#include "libs/grpcserver/status.h"
#include "libs/observability/metrics.h"
#include "libs/service/use_cases.h"
#include "proto/baskets/baskets_service.grpc.pb.h"
#include "services/baskets/application/application.h"

namespace baskets::grpc_api {

class BasketsServer final : public basketspb::BasketService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  BasketsServer(const UseCases& app, eda::obs::MetricsRegistry& metrics);

  EDA_RPC_DECLARE(basketspb, StartBasket)
  EDA_RPC_DECLARE(basketspb, CancelBasket)
  EDA_RPC_DECLARE(basketspb, CheckoutBasket)
  EDA_RPC_DECLARE(basketspb, AddItem)
  EDA_RPC_DECLARE(basketspb, RemoveItem)
  EDA_RPC_DECLARE(basketspb, GetBasket)

 private:
  const UseCases& app_;
  prometheus::Counter& started_;
  prometheus::Counter& checked_out_;
  prometheus::Counter& canceled_;
};

}  // namespace baskets::grpc_api
