#include "services/baskets/handlers/stores.h"

#include <functional>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "proto/stores/stores_api.pb.h"
#include "services/stores/api/messages.h"

namespace baskets::handlers {
namespace {

using eda::messaging::Message;
using eda::outbox::UnitOfWork;
using UseCases = eda::service::UseCases<application::Ports>;
using Apply = std::function<absl::Status(application::Catalog&, const Message&)>;

// Decodes the payload as T and hands it to the catalog.
template <typename T>
Apply To(void (application::Catalog::*update)(const T&)) {
  return [update](application::Catalog& catalog, const Message& m) {
    T event;
    if (!event.ParseFromString(m.payload)) {
      return absl::InvalidArgumentError(absl::StrCat(m.name, ": undecodable payload"));
    }
    (catalog.*update)(event);
    return absl::OkStatus();
  };
}

// Applies the messages `by_name` names to the catalog (others without effect); no ordering guard.
eda::outbox::MessageHandler Dispatch(const UseCases& app, std::map<std::string, Apply> by_name) {
  return [&app, by_name = std::move(by_name)](UnitOfWork& uow, const Message& m) {
    auto it = by_name.find(m.name);
    if (it == by_name.end()) return absl::OkStatus();  // not one the catalog keeps
    return app.RunIn(uow, [&](application::Ports& p) { return it->second(p.catalog, m); });
  };
}

eda::outbox::MessageHandler Stores(const UseCases& app) {
  using C = application::Catalog;
  return Dispatch(app, {{stores::api::kStoreCreated, To(&C::StoreCreated)},
                        {stores::api::kStoreRebranded, To(&C::StoreRebranded)}});
}

eda::outbox::MessageHandler Products(const UseCases& app) {
  using C = application::Catalog;
  return Dispatch(app, {{stores::api::kProductAdded, To(&C::ProductAdded)},
                        {stores::api::kProductRebranded, To(&C::ProductRebranded)},
                        {stores::api::kProductPriceIncreased, To(&C::ProductPriceChanged)},
                        {stores::api::kProductPriceDecreased, To(&C::ProductPriceChanged)},
                        {stores::api::kProductRemoved, To(&C::ProductRemoved)}});
}

}  // namespace

// Each durable's messages in their aggregate's order.
eda::outbox::MessageHandler StoreEvents(const UseCases& app) {
  return eda::outbox::InOrder("baskets-stores", Stores(app));
}
eda::outbox::MessageHandler ProductEvents(const UseCases& app) {
  return eda::outbox::InOrder("baskets-products", Products(app));
}

// The stores cache only: a rebuild hands the live consumer back messages it may apply again, and
// the products cache adds price changes (a delta), which must not be applied twice.
std::vector<eda::service::ReadModel> ReadModels(const UseCases& app) {
  return {{.name = "stores",
           .table = "stores_cache",
           .durable = "baskets-stores",
           .apply = Stores(app)}};
}

}  // namespace baskets::handlers
