// File: messages.h
// The customers context's messages as other contexts and tools see them (spec §11): subjects,
// wire names, and their registration in a TypeRegistry for decoding.
#pragma once

#include "libs/messaging/registry.h"

namespace customers::api {

inline constexpr char kEventsSubject[] = "mallbots.customers.events.Customer";
inline constexpr char kCommandsSubject[] = "mallbots.customers.commands";

// Wire names, as proto/customers/customers_api.proto declares them; for publishing and matching.
inline constexpr char kCustomerRegistered[] = "customersapi.CustomerRegistered";
inline constexpr char kCustomerSmsChanged[] = "customersapi.CustomerSmsChanged";
inline constexpr char kCustomerEnabled[] = "customersapi.CustomerEnabled";
inline constexpr char kCustomerDisabled[] = "customersapi.CustomerDisabled";
inline constexpr char kAuthorizeCustomer[] = "customersapi.AuthorizeCustomer";

// Registers the messages of proto/customers/customers_api.proto under the names their
// (eda.wire_name) options declare: the names above (messages_test.cc checks that the two agree).
void RegisterMessages(eda::messaging::TypeRegistry& registry);

}  // namespace customers::api
