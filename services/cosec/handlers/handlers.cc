#include "services/cosec/handlers/handlers.h"

#include "absl/strings/str_cat.h"
#include "libs/observability/logging.h"
#include "proto/ordering/ordering_api.pb.h"
#include "services/cosec/saga/create_order.h"
#include "services/ordering/api/messages.h"

namespace cosec::handlers {

eda::outbox::MessageHandler OrderEvents(CreateOrder& saga) {
  return [&saga](eda::outbox::UnitOfWork& uow, const eda::messaging::Message& m) -> absl::Status {
    if (m.name != ordering::api::kOrderCreated) return absl::OkStatus();
    orderingpb::OrderCreated created;
    if (!created.ParseFromString(m.payload)) {
      return absl::InvalidArgumentError(absl::StrCat(m.name, ": undecodable payload"));
    }
    if (created.id().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(m.name, " ", m.id, " has no order id"));
    }
    absl::StatusOr<bool> started = saga.Start(uow, created.id(), DataFrom(created));
    if (!started.ok()) return started.status();
    if (!*started) {
      LOG_INFO() << "order's saga exists already: not started again"
                 << eda::KV("order_id", created.id()) << eda::KV("message_id", m.id);
    }
    return absl::OkStatus();
  };
}

}  // namespace cosec::handlers
