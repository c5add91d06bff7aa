// File: messages.h
// The customers context's messages as other contexts and tools see them (spec §11): subjects,
// wire names, and their registration in a TypeRegistry for decoding.
#pragma once

#include "libs/messaging/registry.h"

namespace customers::api {

inline constexpr char kEventsSubject[] = "mallbots.customers.events.Customer";
inline constexpr char kCommandsSubject[] = "mallbots.customers.commands";

inline constexpr char kCustomerRegistered[] = "customersapi.CustomerRegistered";
inline constexpr char kCustomerSmsChanged[] = "customersapi.CustomerSmsChanged";
inline constexpr char kCustomerEnabled[] = "customersapi.CustomerEnabled";
inline constexpr char kCustomerDisabled[] = "customersapi.CustomerDisabled";
inline constexpr char kAuthorizeCustomer[] = "customersapi.AuthorizeCustomer";

// Registers every name above with its protobuf type.
void RegisterMessages(eda::messaging::TypeRegistry& registry);

}  // namespace customers::api
