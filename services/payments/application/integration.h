// File: integration.h
// The one place where the payments' domain events become public integration messages
// (paymentsapi.*, proto/payments/payments_api.proto): an invoice paid is published; payment
// changes and the other invoice changes stay inside the context.
#pragma once

#include <optional>
#include <string>

#include "libs/messaging/envelope.h"
#include "services/payments/domain/payment.h"

namespace payments::application {

std::optional<eda::messaging::Message> InvoiceMessage(const std::string& invoice_id,
                                                      const domain::InvoiceEvent& event);

}  // namespace payments::application
