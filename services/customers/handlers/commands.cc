#include "services/customers/handlers/commands.h"

#include "absl/strings/str_cat.h"
#include "libs/outbox/commands.h"
#include "proto/customers/customers_api.pb.h"
#include "services/customers/application/application.h"
#include "services/customers/postgres/store.h"

namespace customers::handlers {

eda::outbox::MessageHandler CommandHandler() {
  return eda::outbox::CommandAdapter(
      [](eda::outbox::UnitOfWork& uow, const eda::messaging::Message& m) -> eda::outbox::CommandResult {
        if (m.name != "customersapi.AuthorizeCustomer") {
          return {absl::InvalidArgumentError(absl::StrCat("unknown command ", m.name))};
        }
        customerspb::AuthorizeCustomer cmd;
        if (!cmd.ParseFromString(m.payload)) {
          return {absl::InvalidArgumentError("customersapi.AuthorizeCustomer: undecodable payload")};
        }
        postgres::CustomerRepository customers(uow);
        postgres::OutboxEvents events(uow);
        application::Ports ports{customers, events};
        return {application::AuthorizeCustomer(ports, cmd.id())};
      });
}

}  // namespace customers::handlers
