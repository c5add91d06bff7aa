#include "services/search/grpc/server.h"

namespace search::grpc_api {

using application::Ports;
using eda::grpcserver::Into;
using eda::grpcserver::Reply;
namespace app = application;

EDA_RPC(SearchServer, searchpb, SearchOrders) {
  return Reply(app_.Run([&](Ports& p) { return app::SearchOrders(p, *req); }),
               [&](searchpb::SearchOrdersResponse found) { *resp = std::move(found); });
}

EDA_RPC(SearchServer, searchpb, GetOrder) {
  return Reply(app_.Run([&](Ports& p) { return app::GetOrder(p, req->id()); }),
               Into(resp->mutable_order()));
}

}  // namespace search::grpc_api
