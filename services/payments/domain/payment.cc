#include "services/payments/domain/payment.h"

#include "absl/strings/str_cat.h"
#include "libs/common/overloaded.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace payments::domain {
namespace validate = eda::validate;
using eda::Overloaded;

namespace {
constexpr size_t kMaxIdLength = 200;

absl::Status CheckReference(const std::string& value, const char* what) {
  EDA_RETURN_IF_ERROR(validate::NotBlank(value, what));
  return validate::Text(value, kMaxIdLength, what);
}
}  // namespace

absl::StatusOr<Payment> Payment::Authorize(std::string id, std::string customer_id, double amount) {
  EDA_RETURN_IF_ERROR(CheckReference(customer_id, "customer id"));
  EDA_RETURN_IF_ERROR(validate::Money(amount, "payment amount"));
  Payment payment(std::move(id));
  PaymentAuthorized authorized;
  authorized.set_customer_id(std::move(customer_id));
  authorized.set_amount(validate::RoundMoney(amount));
  payment.Raise(std::move(authorized));
  return payment;
}

Payment Payment::Restore(std::string id, PaymentState state) {
  Payment payment(std::move(id));
  payment.state_ = std::move(state);
  return payment;
}

absl::Status Payment::Confirm(double amount) {
  if (state_.status() == PaymentState::RELEASED) {
    return absl::InvalidArgumentError("payment cannot be confirmed: it was released");
  }
  if (validate::RoundMoney(amount) > state_.amount()) {
    return absl::InvalidArgumentError(absl::StrCat("payment cannot be confirmed: authorized for ",
                                                   state_.amount(), ", the order is ",
                                                   validate::RoundMoney(amount)));
  }
  if (state_.status() == PaymentState::AUTHORIZED) Raise(PaymentConfirmed());
  return absl::OkStatus();
}

absl::Status Payment::Release() {
  if (state_.status() != PaymentState::RELEASED) Raise(PaymentReleased());
  return absl::OkStatus();
}

std::string Payment::StatusName() const {
  switch (state_.status()) {
    case PaymentState::AUTHORIZED:
      return "authorized";
    case PaymentState::CONFIRMED:
      return "confirmed";
    case PaymentState::RELEASED:
      return "released";
    default:
      return "";
  }
}

void Payment::When(const PaymentEvent& event) {
  std::visit(Overloaded{
                 [this](const PaymentAuthorized& e) {
                   state_.set_customer_id(e.customer_id());
                   state_.set_amount(e.amount());
                   state_.set_status(PaymentState::AUTHORIZED);
                 },
                 [this](const PaymentConfirmed&) { state_.set_status(PaymentState::CONFIRMED); },
                 [this](const PaymentReleased&) { state_.set_status(PaymentState::RELEASED); },
             },
             event);
}

absl::StatusOr<Invoice> Invoice::Create(std::string id, std::string order_id, double amount) {
  EDA_RETURN_IF_ERROR(CheckReference(order_id, "order id"));
  EDA_RETURN_IF_ERROR(validate::Money(amount, "invoice amount"));
  Invoice invoice(std::move(id));
  InvoiceCreated created;
  created.set_order_id(std::move(order_id));
  created.set_amount(validate::RoundMoney(amount));
  invoice.Raise(std::move(created));
  return invoice;
}

Invoice Invoice::Restore(std::string id, InvoiceState state) {
  Invoice invoice(std::move(id));
  invoice.state_ = std::move(state);
  return invoice;
}

absl::Status Invoice::Adjust(double amount) {
  EDA_RETURN_IF_ERROR(validate::Money(amount, "invoice amount"));
  InvoiceAdjusted adjusted;
  adjusted.set_amount(validate::RoundMoney(amount));
  Raise(std::move(adjusted));
  return absl::OkStatus();
}

absl::Status Invoice::Pay() {
  if (state_.status() != InvoiceState::PENDING) {
    return absl::InvalidArgumentError("invoice cannot be paid for");
  }
  InvoicePaid paid;
  paid.set_order_id(state_.order_id());
  Raise(std::move(paid));
  return absl::OkStatus();
}

absl::Status Invoice::Cancel() {
  if (state_.status() != InvoiceState::PENDING) {
    return absl::InvalidArgumentError("invoice cannot be paid for");
  }
  Raise(InvoiceCanceled());
  return absl::OkStatus();
}

std::string Invoice::StatusName() const {
  switch (state_.status()) {
    case InvoiceState::PENDING:
      return "pending";
    case InvoiceState::PAID:
      return "paid";
    case InvoiceState::CANCELED:
      return "canceled";
    default:
      return "";
  }
}

void Invoice::When(const InvoiceEvent& event) {
  std::visit(Overloaded{
                 [this](const InvoiceCreated& e) {
                   state_.set_order_id(e.order_id());
                   state_.set_amount(e.amount());
                   state_.set_status(InvoiceState::PENDING);
                 },
                 [this](const InvoiceAdjusted& e) { state_.set_amount(e.amount()); },
                 [this](const InvoicePaid&) { state_.set_status(InvoiceState::PAID); },
                 [this](const InvoiceCanceled&) { state_.set_status(InvoiceState::CANCELED); },
             },
             event);
}

}  // namespace payments::domain
