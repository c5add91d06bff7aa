#include "services/customers/handlers/commands.h"

#include "libs/outbox/commands.h"
#include "proto/customers/customers_api.pb.h"
#include "services/customers/api/messages.h"

namespace customers::handlers {

eda::outbox::MessageHandler CommandHandler(const eda::service::UseCases<application::Ports>& app) {
  eda::outbox::MessageHandler authorize = eda::outbox::CommandAdapter(
      [&app](eda::outbox::UnitOfWork& uow,
             const eda::messaging::Message& m) -> eda::outbox::CommandResult {
        customerspb::AuthorizeCustomer cmd;
        if (!cmd.ParseFromString(m.payload)) {
          return {
              absl::InvalidArgumentError("customersapi.AuthorizeCustomer: undecodable payload")};
        }
        return {app.RunIn(uow, [&](application::Ports& p) {
          return application::AuthorizeCustomer(p, cmd.id());
        })};
      });
  // Other names on the subject are not ours to answer: acknowledged and dropped (spec §3.4).
  return [authorize](eda::outbox::UnitOfWork& uow, const eda::messaging::Message& m) {
    if (m.name != api::kAuthorizeCustomer) return absl::OkStatus();
    return authorize(uow, m);
  };
}

}  // namespace customers::handlers
