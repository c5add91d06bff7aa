#include "services/search/handlers/handlers.h"

#include <functional>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/customers/api/messages.h"
#include "services/ordering/api/messages.h"
#include "services/stores/api/messages.h"

namespace search::handlers {
namespace {

using eda::messaging::Message;
using eda::outbox::UnitOfWork;
namespace app = application;
using Apply = std::function<absl::Status(app::Ports&, const Message&)>;

template <typename T>
absl::Status Decode(const Message& m, T& out) {
  if (out.ParseFromString(m.payload)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(m.name, ": undecodable payload"));
}

// A cache event: decoded and given to its Names method.
template <typename T>
Apply To(void (app::Names::*update)(const T&)) {
  return [update](app::Ports& p, const Message& m) {
    T event;
    if (absl::Status s = Decode(m, event); !s.ok()) return s;
    (p.names.*update)(event);
    return absl::OkStatus();
  };
}

// An order event that sets the order's status.
template <typename T>
Apply Status(const char* status) {
  return [status](app::Ports& p, const Message& m) {
    T event;
    if (absl::Status s = Decode(m, event); !s.ok()) return s;
    return app::SetStatus(p, event.id(), status);
  };
}

// Applies each message of a name in `by_name`; others are acked.
eda::outbox::MessageHandler Dispatch(const UseCases& app, std::map<std::string, Apply> by_name) {
  return [&app, by_name = std::move(by_name)](UnitOfWork& uow, const Message& m) {
    auto it = by_name.find(m.name);
    if (it == by_name.end()) return absl::OkStatus();
    return app.RunIn(uow, [&](app::Ports& p) { return it->second(p, m); });
  };
}

eda::outbox::MessageHandler Customers(const UseCases& app) {
  return Dispatch(app,
                  {{customers::api::kCustomerRegistered, To(&app::Names::CustomerRegistered)}});
}

eda::outbox::MessageHandler Stores(const UseCases& app) {
  using N = app::Names;
  return Dispatch(app, {{stores::api::kStoreCreated, To(&N::StoreCreated)},
                        {stores::api::kStoreRebranded, To(&N::StoreRebranded)}});
}

eda::outbox::MessageHandler Products(const UseCases& app) {
  using N = app::Names;
  return Dispatch(app, {{stores::api::kProductAdded, To(&N::ProductAdded)},
                        {stores::api::kProductRebranded, To(&N::ProductRebranded)},
                        {stores::api::kProductRemoved, To(&N::ProductRemoved)}});
}

eda::outbox::MessageHandler Orders(const UseCases& app) {
  namespace api = ordering::api;
  namespace d = domain;
  return Dispatch(app, {{api::kOrderCreated,
                         [](app::Ports& p, const Message& m) {
                           orderingpb::OrderCreated event;
                           if (absl::Status s = Decode(m, event); !s.ok()) return s;
                           return app::AddOrder(p, event, m.occurred_at);
                         }},
                        {api::kOrderApproved, Status<orderingpb::OrderApproved>(d::kApproved)},
                        {api::kOrderRejected, Status<orderingpb::OrderRejected>(d::kRejected)},
                        {api::kOrderReadied, Status<orderingpb::OrderReadied>(d::kReadyForPickup)},
                        {api::kOrderCanceled, Status<orderingpb::OrderCanceled>(d::kCanceled)},
                        {api::kOrderCompleted, Status<orderingpb::OrderCompleted>(d::kCompleted)}});
}

}  // namespace

// Each durable's messages in their aggregate's order.
eda::outbox::MessageHandler CustomerEvents(const UseCases& app) {
  return eda::outbox::InOrder("search-customers", Customers(app));
}
eda::outbox::MessageHandler StoreEvents(const UseCases& app) {
  return eda::outbox::InOrder("search-stores", Stores(app));
}
eda::outbox::MessageHandler ProductEvents(const UseCases& app) {
  return eda::outbox::InOrder("search-products", Products(app));
}
eda::outbox::MessageHandler OrderEvents(const UseCases& app) {
  return eda::outbox::InOrder("search-orders", Orders(app));
}

std::vector<eda::service::ReadModel> ReadModels(const UseCases& app) {
  return {
      {.name = "orders", .table = "orders", .durable = "search-orders", .apply = Orders(app)},
      {.name = "customers",
       .table = "customers_cache",
       .durable = "search-customers",
       .apply = Customers(app)},
      {.name = "stores", .table = "stores_cache", .durable = "search-stores", .apply = Stores(app)},
      {.name = "products",
       .table = "products_cache",
       .durable = "search-products",
       .apply = Products(app)}};
}

}  // namespace search::handlers
