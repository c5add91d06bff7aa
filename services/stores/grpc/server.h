// File: server.h
// storespb.StoresService over gRPC: each RPC runs its use case in a unit of work and replies.
#pragma once

#include "libs/observability/metrics.h"
#include "libs/service/use_cases.h"
#include "proto/stores/stores_service.grpc.pb.h"
#include "services/stores/application/application.h"

namespace stores::grpc_api {

class StoresServer final : public storespb::StoresService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  StoresServer(const UseCases& app, eda::obs::MetricsRegistry& metrics);

#define EDA_STORES_RPC(Name)                                                  \
  ::grpc::Status Name(::grpc::ServerContext*, const storespb::Name##Request*, \
                      storespb::Name##Response*) override;
  EDA_STORES_RPC(CreateStore)
  EDA_STORES_RPC(EnableParticipation)
  EDA_STORES_RPC(DisableParticipation)
  EDA_STORES_RPC(RebrandStore)
  EDA_STORES_RPC(GetStore)
  EDA_STORES_RPC(GetStores)
  EDA_STORES_RPC(GetParticipatingStores)
  EDA_STORES_RPC(AddProduct)
  EDA_STORES_RPC(RebrandProduct)
  EDA_STORES_RPC(IncreaseProductPrice)
  EDA_STORES_RPC(DecreaseProductPrice)
  EDA_STORES_RPC(RemoveProduct)
  EDA_STORES_RPC(GetProduct)
  EDA_STORES_RPC(GetCatalog)
#undef EDA_STORES_RPC

 private:
  const UseCases& app_;
  prometheus::Counter& stores_created_;
  prometheus::Counter& products_added_;
};

}  // namespace stores::grpc_api
