#include "services/payments/handlers/handlers.h"

#include "absl/strings/str_cat.h"
#include "libs/outbox/commands.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/payments/payments_api.pb.h"
#include "services/payments/api/messages.h"

namespace payments::handlers {
namespace {

using eda::messaging::Message;
using eda::outbox::UnitOfWork;
namespace app = application;

template <typename T>
absl::Status Decode(const Message& m, T& out) {
  if (out.ParseFromString(m.payload)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(m.name, ": undecodable payload"));
}

}  // namespace

eda::outbox::MessageHandler OrderEvents(const UseCases& app) {
  return [&app](UnitOfWork& uow, const Message& m) -> absl::Status {
    if (m.name != "ordersapi.OrderReadied") return absl::OkStatus();
    orderingpb::OrderReadied e;
    if (absl::Status s = Decode(m, e); !s.ok()) return s;
    return app.RunIn(uow,
                     [&](app::Ports& p) { return app::CreateOrderInvoice(p, e.id(), e.total()); });
  };
}

eda::outbox::MessageHandler Commands(const UseCases& app) {
  eda::outbox::MessageHandler answer = eda::outbox::CommandAdapter(
      [&app](UnitOfWork& uow, const Message& m) -> eda::outbox::CommandResult {
        if (m.name == api::kConfirmPayment) {
          paymentspb::ConfirmPayment cmd;
          if (absl::Status s = Decode(m, cmd); !s.ok()) return {s};
          return {app.RunIn(uow, [&](app::Ports& p) {
            return app::ConfirmPaymentFor(p, cmd.id(), cmd.amount());
          })};
        }
        paymentspb::ReleasePayment cmd;
        if (absl::Status s = Decode(m, cmd); !s.ok()) return {s};
        return {app.RunIn(uow, [&](app::Ports& p) { return app::ReleasePayment(p, cmd.id()); })};
      });
  // Other names on the subject are not ours to answer: acknowledged and dropped (spec §3.4).
  return [answer](UnitOfWork& uow, const Message& m) {
    if (m.name != api::kConfirmPayment && m.name != api::kReleasePayment) return absl::OkStatus();
    return answer(uow, m);
  };
}

}  // namespace payments::handlers
