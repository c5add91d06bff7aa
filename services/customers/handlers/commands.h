// File: commands.h
// customersapi.AuthorizeCustomer on mallbots.customers.commands: answered with am.Success, or
// am.Failure for an unknown or disabled customer (libs/outbox/commands.h sends the reply).
// Messages of other names on the subject are acknowledged without a reply.
#pragma once

#include "libs/outbox/inbox.h"
#include "libs/service/use_cases.h"
#include "services/customers/application/application.h"

namespace customers::handlers {

// `app` must outlive the handler.
eda::outbox::MessageHandler CommandHandler(const eda::service::UseCases<application::Ports>& app);

}  // namespace customers::handlers
