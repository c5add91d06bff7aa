#include "services/notifications/handlers/handlers.h"

#include "absl/strings/str_cat.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "services/customers/api/messages.h"
#include "services/ordering/api/messages.h"

namespace notifications::handlers {
namespace {

using eda::messaging::Message;
using eda::outbox::UnitOfWork;
namespace app = application;

template <typename T>
absl::Status Decode(const Message& m, T& out) {
  if (out.ParseFromString(m.payload)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(m.name, ": undecodable payload"));
}

// Notifies the customer of the order event `m` of type T.
template <typename T>
absl::Status Notice(const UseCases& app, UnitOfWork& uow, const Message& m, domain::Notice notice) {
  T event;
  if (absl::Status s = Decode(m, event); !s.ok()) return s;
  return app.RunIn(uow, [&](app::Ports& p) {
    return app::Notify(p, notice, m.id, event.id(), event.customer_id());
  });
}

// The customers cache's updates, in the order given.
eda::outbox::MessageHandler Customers(const UseCases& app) {
  return [&app](UnitOfWork& uow, const Message& m) -> absl::Status {
    if (m.name == customers::api::kCustomerRegistered) {
      customerspb::CustomerRegistered e;
      if (absl::Status s = Decode(m, e); !s.ok()) return s;
      return app.RunIn(uow, [&](app::Ports& p) {
        p.customers.Registered(e);
        return absl::OkStatus();
      });
    }
    if (m.name == customers::api::kCustomerSmsChanged) {
      customerspb::CustomerSmsChanged e;
      if (absl::Status s = Decode(m, e); !s.ok()) return s;
      return app.RunIn(uow, [&](app::Ports& p) {
        p.customers.SmsChanged(e);
        return absl::OkStatus();
      });
    }
    return absl::OkStatus();  // enabled, disabled: nothing a notice needs
  };
}

}  // namespace

eda::outbox::MessageHandler CustomerEvents(const UseCases& app) {
  return eda::outbox::InOrder("notification-customers", Customers(app));
}

std::vector<eda::service::ReadModel> ReadModels(const UseCases& app) {
  return {{.name = "customers",
           .table = "customers_cache",
           .durable = "notification-customers",
           .apply = Customers(app)}};
}

eda::outbox::MessageHandler OrderEvents(const UseCases& app) {
  return [&app](UnitOfWork& uow, const Message& m) -> absl::Status {
    namespace api = ordering::api;
    if (m.name == api::kOrderCreated) {
      return Notice<orderingpb::OrderCreated>(app, uow, m, domain::ORDER_CREATED);
    }
    if (m.name == api::kOrderReadied) {
      return Notice<orderingpb::OrderReadied>(app, uow, m, domain::ORDER_READY);
    }
    if (m.name == api::kOrderCanceled) {
      return Notice<orderingpb::OrderCanceled>(app, uow, m, domain::ORDER_CANCELED);
    }
    if (m.name == api::kOrderCompleted) {
      return Notice<orderingpb::OrderCompleted>(app, uow, m, domain::ORDER_COMPLETED);
    }
    return absl::OkStatus();
  };
}

std::vector<std::string> OrderEventNames() {
  namespace api = ordering::api;
  return {api::kOrderCreated, api::kOrderReadied, api::kOrderCanceled, api::kOrderCompleted};
}

}  // namespace notifications::handlers
