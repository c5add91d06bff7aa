// File: server.h
// searchpb.SearchService over gRPC: each RPC runs its query in a unit of work and replies.
#pragma once

#include "libs/grpcserver/status.h"
#include "libs/service/use_cases.h"
#include "proto/search/search_service.grpc.pb.h"
#include "services/search/application/application.h"

namespace search::grpc_api {

class SearchServer final : public searchpb::SearchService::Service {
 public:
  using UseCases = eda::service::UseCases<application::Ports>;
  explicit SearchServer(const UseCases& app) : app_(app) {}

  EDA_RPC_DECLARE(searchpb, SearchOrders)
  EDA_RPC_DECLARE(searchpb, GetOrder)

 private:
  const UseCases& app_;
};

}  // namespace search::grpc_api
