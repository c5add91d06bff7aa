// File: commands.h
// customersapi.AuthorizeCustomer on mallbots.customers.commands: answered with am.Success, or
// am.Failure for an unknown or disabled customer (libs/outbox/commands.h sends the reply).
// Messages of other names on the subject are acknowledged without a reply.
#pragma once

#include "libs/outbox/inbox.h"

namespace customers::handlers {

eda::outbox::MessageHandler CommandHandler();

}  // namespace customers::handlers
