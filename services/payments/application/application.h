// File: application.h
// The payments use cases, each run against the ports of one unit of work
// (eda::service::UseCases<Ports> runs them; postgres/ builds the ports). Payments and invoices
// are state-stored.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "proto/payments/payments_service.pb.h"
#include "services/payments/domain/payment.h"

namespace payments::application {

struct Ports {
  eda::es::AggregateRepository<domain::Payment>& payments;
  eda::es::AggregateRepository<domain::Invoice>& invoices;
};

// Ids are checked first: InvalidArgument "the payment id must be a UUID" (invoice, order alike).

absl::StatusOr<std::string> AuthorizePayment(Ports& p, std::string customer_id, double amount);
// The RPC: NotFound "payment cannot be confirmed" for an unknown payment.
absl::Status ConfirmPayment(Ports& p, const std::string& id);
// The saga's command, for an order of `amount`: NotFound "payment cannot be confirmed" for an
// unknown payment; InvalidArgument when it was released or authorised for less.
absl::Status ConfirmPaymentFor(Ports& p, const std::string& id, double amount);
// Idempotent. Errors: NotFound "payment <id> not found".
absl::Status ReleasePayment(Ports& p, const std::string& id);
absl::StatusOr<paymentspb::Payment> GetPayment(Ports& p, const std::string& id);

// A new invoice (new id); `payment_id` is not used (as in the spec).
absl::StatusOr<std::string> CreateInvoice(Ports& p, std::string order_id, double amount);
// The invoice of a readied order: its id is the order's; once however often it is asked for.
absl::Status CreateOrderInvoice(Ports& p, const std::string& order_id, double total);
absl::Status AdjustInvoice(Ports& p, const std::string& id, double amount);
absl::Status PayInvoice(Ports& p, const std::string& id);
absl::Status CancelInvoice(Ports& p, const std::string& id);
// Errors: NotFound "invoice <id> not found".
absl::StatusOr<paymentspb::Invoice> GetInvoice(Ports& p, const std::string& id);

}  // namespace payments::application
