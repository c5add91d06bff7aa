#include "services/depot/grpc/server.h"

namespace depot::grpc_api {

using application::Ports;
using eda::grpcserver::Into;
using eda::grpcserver::Reply;
namespace app = application;

EDA_RPC(DepotServer, depotpb, CreateShoppingList) {
  std::vector<app::OrderItem> items;
  for (const depotpb::OrderItem& i : req->items()) {
    items.push_back(
        {.product_id = i.product_id(), .store_id = i.store_id(), .quantity = i.quantity()});
  }
  return Reply(
      app_.Run([&](Ports& p) { return app::CreateShoppingList(p, req->order_id(), items); }),
      [&](std::string id) { resp->set_id(std::move(id)); });
}

EDA_RPC(DepotServer, depotpb, CancelShoppingList) {
  return Reply(app_.Run([&](Ports& p) { return app::CancelShoppingList(p, req->id()); }));
}

EDA_RPC(DepotServer, depotpb, AssignShoppingList) {
  return Reply(
      app_.Run([&](Ports& p) { return app::AssignShoppingList(p, req->id(), req->bot_id()); }));
}

EDA_RPC(DepotServer, depotpb, CompleteShoppingList) {
  return Reply(app_.Run([&](Ports& p) { return app::CompleteShoppingList(p, req->id()); }));
}

EDA_RPC(DepotServer, depotpb, GetShoppingList) {
  return Reply(app_.Run([&](Ports& p) { return app::GetShoppingList(p, req->id()); }),
               Into(resp->mutable_shopping_list()));
}

EDA_RPC(DepotServer, depotpb, ClaimShoppingList) {
  return Reply(app_.Run([&](Ports& p) { return app::ClaimShoppingList(p, req->bot_id()); }),
               Into(resp->mutable_shopping_list()));
}

}  // namespace depot::grpc_api
