#include "services/ordering/grpc/server.h"

namespace ordering::grpc_api {

using application::Ports;
using eda::grpcserver::Into;
using eda::grpcserver::Reply;
namespace app = application;

EDA_RPC(OrderingServer, orderingpb, CreateOrder) {
  app::Items items;
  for (const orderingpb::Item& in : req->items()) {
    domain::Item& item = items.emplace_back();
    item.set_store_id(in.store_id());
    item.set_product_id(in.product_id());
    item.set_store_name(in.store_name());
    item.set_product_name(in.product_name());
    item.set_price(in.price());
    item.set_quantity(in.quantity());
  }
  return Reply(app_.Run([&](Ports& p) {
    return app::CreateOrder(p, req->customer_id(), req->payment_id(), items);
  }),
               [&](std::string id) { resp->set_id(std::move(id)); });
}

EDA_RPC(OrderingServer, orderingpb, GetOrder) {
  return Reply(app_.Run([&](Ports& p) { return app::GetOrder(p, req->id()); }),
               Into(resp->mutable_order()));
}

EDA_RPC(OrderingServer, orderingpb, CancelOrder) {
  return Reply(app_.Run([&](Ports& p) { return app::CancelOrder(p, req->id()); }));
}

EDA_RPC(OrderingServer, orderingpb, ReadyOrder) {
  return Reply(app_.Run([&](Ports& p) { return app::ReadyOrder(p, req->id()); }));
}

EDA_RPC(OrderingServer, orderingpb, CompleteOrder) {
  return Reply(
      app_.Run([&](Ports& p) { return app::CompleteOrder(p, req->id(), req->invoice_id()); }));
}

}  // namespace ordering::grpc_api
