// File: server.h
// depotpb.DepotService over gRPC: each RPC runs its use case in a unit of work and replies.
#pragma once

#include "libs/grpcserver/status.h"
#include "libs/service/use_cases.h"
#include "proto/depot/depot_service.grpc.pb.h"
#include "services/depot/application/application.h"

namespace depot::grpc_api {

class DepotServer final : public depotpb::DepotService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  explicit DepotServer(const UseCases& app) : app_(app) {}

  EDA_RPC_DECLARE(depotpb, CreateShoppingList)
  EDA_RPC_DECLARE(depotpb, CancelShoppingList)
  EDA_RPC_DECLARE(depotpb, AssignShoppingList)
  EDA_RPC_DECLARE(depotpb, CompleteShoppingList)
  EDA_RPC_DECLARE(depotpb, GetShoppingList)
  EDA_RPC_DECLARE(depotpb, ClaimShoppingList)

 private:
  const UseCases& app_;
};

}  // namespace depot::grpc_api
