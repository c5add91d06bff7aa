#include "services/payments/application/application.h"

#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace payments::application {

using eda::es::Change;
namespace validate = eda::validate;

namespace {

// The RPC's and the command's NotFound for a payment.
absl::Status Unconfirmable(absl::Status s) {
  if (absl::IsNotFound(s)) return absl::NotFoundError("payment cannot be confirmed");
  return s;
}

}  // namespace

absl::StatusOr<std::string> AuthorizePayment(Ports& p, std::string customer_id, double amount) {
  EDA_ASSIGN_OR_RETURN(domain::Payment payment,
                       domain::Payment::Authorize(eda::NewUuid(), std::move(customer_id), amount));
  EDA_RETURN_IF_ERROR(p.payments.Save(payment));
  return payment.id();
}

absl::Status ConfirmPayment(Ports& p, const std::string& id) { return ConfirmPaymentFor(p, id, 0); }

absl::Status ConfirmPaymentFor(Ports& p, const std::string& id, double amount) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "payment"));
  EDA_RETURN_IF_ERROR(validate::Money(amount, "order total"));
  absl::StatusOr<domain::Payment> payment = p.payments.Load(id);
  if (!payment.ok()) return Unconfirmable(payment.status());
  EDA_RETURN_IF_ERROR(payment->Confirm(amount));
  return p.payments.Save(*payment);
}

absl::Status ReleasePayment(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "payment"));
  return Change(p.payments, id, [](domain::Payment& x) { return x.Release(); });
}

absl::StatusOr<paymentspb::Payment> GetPayment(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "payment"));
  EDA_ASSIGN_OR_RETURN(domain::Payment payment, p.payments.Load(id));
  paymentspb::Payment out;
  out.set_id(id);
  out.set_customer_id(payment.state().customer_id());
  out.set_amount(payment.state().amount());
  out.set_status(payment.StatusName());
  return out;
}

absl::StatusOr<std::string> CreateInvoice(Ports& p, std::string order_id, double amount) {
  EDA_RETURN_IF_ERROR(validate::Id(order_id, "order"));
  EDA_ASSIGN_OR_RETURN(domain::Invoice invoice,
                       domain::Invoice::Create(eda::NewUuid(), std::move(order_id), amount));
  EDA_RETURN_IF_ERROR(p.invoices.Save(invoice));
  return invoice.id();
}

absl::Status CreateOrderInvoice(Ports& p, const std::string& order_id, double total) {
  EDA_RETURN_IF_ERROR(validate::Id(order_id, "order"));
  absl::StatusOr<domain::Invoice> existing = p.invoices.Load(order_id);
  if (existing.ok()) return absl::OkStatus();  // the order's invoice exists already
  if (!absl::IsNotFound(existing.status())) return existing.status();
  EDA_ASSIGN_OR_RETURN(domain::Invoice invoice, domain::Invoice::Create(order_id, order_id, total));
  return p.invoices.Save(invoice);
}

absl::Status AdjustInvoice(Ports& p, const std::string& id, double amount) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "invoice"));
  return Change(p.invoices, id, [&](domain::Invoice& i) { return i.Adjust(amount); });
}

absl::Status PayInvoice(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "invoice"));
  return Change(p.invoices, id, [](domain::Invoice& i) { return i.Pay(); });
}

absl::Status CancelInvoice(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "invoice"));
  return Change(p.invoices, id, [](domain::Invoice& i) { return i.Cancel(); });
}

absl::StatusOr<paymentspb::Invoice> GetInvoice(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "invoice"));
  EDA_ASSIGN_OR_RETURN(domain::Invoice invoice, p.invoices.Load(id));
  paymentspb::Invoice out;
  out.set_id(id);
  out.set_order_id(invoice.state().order_id());
  out.set_amount(invoice.state().amount());
  out.set_status(invoice.StatusName());
  return out;
}

}  // namespace payments::application
