#include "services/customers/handlers/commands.h"

#include "absl/strings/str_cat.h"
#include "libs/outbox/commands.h"
#include "proto/customers/customers_api.pb.h"
#include "services/customers/api/messages.h"
#include "services/customers/application/application.h"
#include "services/customers/postgres/store.h"

namespace customers::handlers {

eda::outbox::MessageHandler CommandHandler() {
  eda::outbox::MessageHandler authorize = eda::outbox::CommandAdapter(
      [](eda::outbox::UnitOfWork& uow,
         const eda::messaging::Message& m) -> eda::outbox::CommandResult {
        customerspb::AuthorizeCustomer cmd;
        if (!cmd.ParseFromString(m.payload)) {
          return {
              absl::InvalidArgumentError("customersapi.AuthorizeCustomer: undecodable payload")};
        }
        postgres::CustomerRepository customers(uow);
        postgres::OutboxEvents events(uow);
        application::Ports ports{customers, events};
        return {application::AuthorizeCustomer(ports, cmd.id())};
      });
  // Other names on the subject are not ours to answer: acknowledged and dropped (spec §3.4).
  return [authorize](eda::outbox::UnitOfWork& uow, const eda::messaging::Message& m) {
    if (m.name != api::kAuthorizeCustomer) return absl::OkStatus();
    return authorize(uow, m);
  };
}

}  // namespace customers::handlers
