#include "services/depot/handlers/handlers.h"

#include <functional>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/outbox/commands.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/stores/stores_api.pb.h"
#include "services/depot/api/messages.h"
#include "services/stores/api/messages.h"

namespace depot::handlers {
namespace {

using eda::messaging::Message;
using eda::outbox::UnitOfWork;
namespace app = application;
using Apply = std::function<absl::Status(app::Catalog&, const Message&)>;

template <typename T>
absl::Status Decode(const Message& m, T& out) {
  if (out.ParseFromString(m.payload)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(m.name, ": undecodable payload"));
}

template <typename T>
Apply To(void (app::Catalog::*update)(const T&)) {
  return [update](app::Catalog& catalog, const Message& m) {
    T event;
    if (absl::Status s = Decode(m, event); !s.ok()) return s;
    (catalog.*update)(event);
    return absl::OkStatus();
  };
}

// Applies the messages `by_name` names to the catalog (others without effect); no ordering guard.
eda::outbox::MessageHandler Dispatch(const UseCases& app, std::map<std::string, Apply> by_name) {
  return [&app, by_name = std::move(by_name)](UnitOfWork& uow, const Message& m) {
    auto it = by_name.find(m.name);
    if (it == by_name.end()) return absl::OkStatus();
    return app.RunIn(uow, [&](app::Ports& p) { return it->second(p.catalog, m); });
  };
}

eda::outbox::CommandResult Create(const UseCases& app, UnitOfWork& uow, const Message& m) {
  depotpb::CreateShoppingList cmd;
  if (absl::Status s = Decode(m, cmd); !s.ok()) return {s};
  std::vector<app::OrderItem> items;
  for (const depotpb::CreateShoppingList::Item& i : cmd.items()) {
    items.push_back(
        {.product_id = i.product_id(), .store_id = i.store_id(), .quantity = i.quantity()});
  }
  absl::StatusOr<std::string> id = app.RunIn(
      uow, [&](app::Ports& p) { return app::CreateShoppingList(p, cmd.order_id(), items); });
  depotpb::CreatedShoppingList reply;
  if (id.ok()) reply.set_id(*id);
  return {id.status(), eda::outbox::Reply{api::kCreatedShoppingList, reply.SerializeAsString()}};
}

eda::outbox::MessageHandler Stores(const UseCases& app) {
  using C = app::Catalog;
  return Dispatch(app, {{stores::api::kStoreCreated, To(&C::StoreCreated)},
                        {stores::api::kStoreRebranded, To(&C::StoreRebranded)}});
}

eda::outbox::MessageHandler Products(const UseCases& app) {
  using C = app::Catalog;
  return Dispatch(app, {{stores::api::kProductAdded, To(&C::ProductAdded)},
                        {stores::api::kProductRebranded, To(&C::ProductRebranded)},
                        {stores::api::kProductRemoved, To(&C::ProductRemoved)}});
}

}  // namespace

// Each durable's messages in their aggregate's order.
eda::outbox::MessageHandler StoreEvents(const UseCases& app) {
  return eda::outbox::InOrder("depot-stores", Stores(app));
}
eda::outbox::MessageHandler ProductEvents(const UseCases& app) {
  return eda::outbox::InOrder("depot-products", Products(app));
}

std::vector<eda::service::ReadModel> ReadModels(const UseCases& app) {
  return {
      {.name = "stores", .table = "stores_cache", .durable = "depot-stores", .apply = Stores(app)},
      {.name = "products",
       .table = "products_cache",
       .durable = "depot-products",
       .apply = Products(app)}};
}

eda::outbox::MessageHandler Commands(const UseCases& app) {
  eda::outbox::MessageHandler answer = eda::outbox::CommandAdapter(
      [&app](UnitOfWork& uow, const Message& m) -> eda::outbox::CommandResult {
        if (m.name == api::kCreateShoppingList) return Create(app, uow, m);
        if (m.name == api::kCancelShoppingList) {
          depotpb::CancelShoppingList cmd;
          if (absl::Status s = Decode(m, cmd); !s.ok()) return {s};
          return {app.RunIn(uow, [&](app::Ports& p) {
            return app::CancelShoppingListFor(p, cmd.id(), cmd.order_id());
          })};
        }
        depotpb::InitiateShopping cmd;
        if (absl::Status s = Decode(m, cmd); !s.ok()) return {s};
        return {app.RunIn(uow, [&](app::Ports& p) { return app::InitiateShopping(p, cmd.id()); })};
      });
  // Other names on the subject are not ours to answer: acknowledged and dropped (spec §3.4).
  return [answer](UnitOfWork& uow, const Message& m) {
    if (m.name != api::kCreateShoppingList && m.name != api::kCancelShoppingList &&
        m.name != api::kInitiateShopping) {
      return absl::OkStatus();
    }
    return answer(uow, m);
  };
}

}  // namespace depot::handlers
