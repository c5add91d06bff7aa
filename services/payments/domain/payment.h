// File: payment.h
// The payments context's aggregates (spec §5.6), state-stored.
//
// Payment: authorised for a customer and an amount; confirmed for an order (not for more than
// it was authorised for); released (the saga's compensation), after which it is never
// confirmed again. Releasing and confirming again change nothing.
// Invoice: created pending for an order; its amount adjusted; paid or cancelled, once.
#pragma once

#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "services/payments/domain/payments_domain.pb.h"

namespace payments::domain {

using PaymentEvent = std::variant<PaymentAuthorized, PaymentConfirmed, PaymentReleased>;

class Payment final : public eda::es::Aggregate<PaymentEvent> {
 public:
  // Errors: InvalidArgument "the customer id cannot be blank" (or too long), "the payment amount
  // cannot be negative" (or not a number, or above 99999.9999).
  static absl::StatusOr<Payment> Authorize(std::string id, std::string customer_id, double amount);
  static Payment Restore(std::string id, PaymentState state);

  // Confirms it for an order of `amount` (0: no amount to check, as the ConfirmPayment RPC).
  // Errors: InvalidArgument "payment cannot be confirmed: it was released" / "payment cannot be
  // confirmed: authorized for <a>, the order is <b>".
  absl::Status Confirm(double amount);
  absl::Status Release();

  // authorized, confirmed, released.
  std::string StatusName() const;
  const PaymentState& state() const { return state_; }

 private:
  explicit Payment(std::string id) : Aggregate(std::move(id)) {}
  void When(const PaymentEvent& event) override;
  PaymentState state_;
};

using InvoiceEvent = std::variant<InvoiceCreated, InvoiceAdjusted, InvoicePaid, InvoiceCanceled>;

class Invoice final : public eda::es::Aggregate<InvoiceEvent> {
 public:
  // Errors: InvalidArgument "the order id cannot be blank" (or too long), "the invoice amount
  // cannot be negative" (...).
  static absl::StatusOr<Invoice> Create(std::string id, std::string order_id, double amount);
  static Invoice Restore(std::string id, InvoiceState state);

  // Errors: InvalidArgument for a bad amount (the spec checks no status).
  absl::Status Adjust(double amount);
  // Errors: InvalidArgument "invoice cannot be paid for" unless pending.
  absl::Status Pay();
  // Errors: InvalidArgument "invoice cannot be paid for" unless pending (the spec's message).
  absl::Status Cancel();

  // pending, paid, canceled.
  std::string StatusName() const;
  const InvoiceState& state() const { return state_; }

 private:
  explicit Invoice(std::string id) : Aggregate(std::move(id)) {}
  void When(const InvoiceEvent& event) override;
  InvoiceState state_;
};

}  // namespace payments::domain
