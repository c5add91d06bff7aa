#include "services/baskets/grpc/server.h"

namespace baskets::grpc_api {

using application::Ports;
using eda::grpcserver::Into;
using eda::grpcserver::Reply;
namespace app = application;

BasketsServer::BasketsServer(const UseCases& app, eda::obs::MetricsRegistry& metrics)
    : app_(app),
      started_(metrics.Counter("baskets_started_count", "Baskets started.").Add({})),
      checked_out_(metrics.Counter("baskets_checked_out_count", "Baskets checked out.").Add({})),
      canceled_(metrics.Counter("baskets_canceled_count", "Baskets cancelled.").Add({})) {}

EDA_RPC(BasketsServer, basketspb, StartBasket) {
  return Reply(app_.Run([&](Ports& p) { return app::StartBasket(p, req->customer_id()); }),
               [&](std::string id) {
                 resp->set_id(std::move(id));
                 started_.Increment();
               });
}

EDA_RPC(BasketsServer, basketspb, CancelBasket) {
  return Reply(app_.Run([&](Ports& p) { return app::CancelBasket(p, req->id()); }),
               [&] { canceled_.Increment(); });
}

EDA_RPC(BasketsServer, basketspb, CheckoutBasket) {
  return Reply(
      app_.Run([&](Ports& p) { return app::CheckoutBasket(p, req->id(), req->payment_id()); }),
      [&] { checked_out_.Increment(); });
}

EDA_RPC(BasketsServer, basketspb, AddItem) {
  return Reply(app_.Run(
      [&](Ports& p) { return app::AddItem(p, req->id(), req->product_id(), req->quantity()); }));
}

EDA_RPC(BasketsServer, basketspb, RemoveItem) {
  return Reply(app_.Run(
      [&](Ports& p) { return app::RemoveItem(p, req->id(), req->product_id(), req->quantity()); }));
}

EDA_RPC(BasketsServer, basketspb, GetBasket) {
  return Reply(app_.Run([&](Ports& p) { return app::GetBasket(p, req->id()); }),
               Into(resp->mutable_basket()));
}

}  // namespace baskets::grpc_api
