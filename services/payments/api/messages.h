// File: messages.h
// The payments context's messages as other contexts and tools see them (spec §11): subjects,
// wire names, and their registration in a TypeRegistry for decoding.
#pragma once

#include "libs/messaging/registry.h"

namespace payments::api {

inline constexpr char kInvoiceSubject[] = "mallbots.payments.events.Invoice";
inline constexpr char kCommandsSubject[] = "mallbots.payments.commands";

// Wire names, as proto/payments/payments_api.proto declares them.
inline constexpr char kInvoicePaid[] = "paymentsapi.InvoicePaid";
inline constexpr char kConfirmPayment[] = "paymentsapi.ConfirmPayment";
inline constexpr char kReleasePayment[] = "paymentsapi.ReleasePayment";

// Registers the messages of proto/payments/payments_api.proto under the names their
// (eda.wire_name) options declare: the names above (messages_test.cc checks that they agree).
void RegisterMessages(eda::messaging::TypeRegistry& registry);

}  // namespace payments::api
