// File: server.h
// storespb.StoresService over gRPC: each RPC runs its use case in a unit of work and replies.
#pragma once

#include "libs/grpcserver/status.h"
#include "libs/observability/metrics.h"
#include "libs/service/use_cases.h"
#include "proto/stores/stores_service.grpc.pb.h"
#include "services/stores/application/application.h"

namespace stores::grpc_api {

class StoresServer final : public storespb::StoresService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  StoresServer(const UseCases& app, eda::obs::MetricsRegistry& metrics);

  EDA_RPC_DECLARE(storespb, CreateStore)
  EDA_RPC_DECLARE(storespb, EnableParticipation)
  EDA_RPC_DECLARE(storespb, DisableParticipation)
  EDA_RPC_DECLARE(storespb, RebrandStore)
  EDA_RPC_DECLARE(storespb, GetStore)
  EDA_RPC_DECLARE(storespb, GetStores)
  EDA_RPC_DECLARE(storespb, GetParticipatingStores)
  EDA_RPC_DECLARE(storespb, AddProduct)
  EDA_RPC_DECLARE(storespb, RebrandProduct)
  EDA_RPC_DECLARE(storespb, IncreaseProductPrice)
  EDA_RPC_DECLARE(storespb, DecreaseProductPrice)
  EDA_RPC_DECLARE(storespb, RemoveProduct)
  EDA_RPC_DECLARE(storespb, GetProduct)
  EDA_RPC_DECLARE(storespb, GetCatalog)

 private:
  const UseCases& app_;
  prometheus::Counter& stores_created_;
  prometheus::Counter& products_added_;
};

}  // namespace stores::grpc_api
