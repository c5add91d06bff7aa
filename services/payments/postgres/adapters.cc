#include "services/payments/postgres/adapters.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/store.h"
#include "services/payments/application/integration.h"

namespace payments::postgres {
namespace {

using domain::Invoice;
using domain::InvoiceState;
using domain::Payment;
using domain::PaymentState;
using eda::outbox::UnitOfWork;

absl::StatusOr<Payment> LoadPayment(UnitOfWork& uow, const std::string& id) {
  EDA_ASSIGN_OR_RETURN(
      eda::pg::Result r,
      uow.tx().Exec("SELECT customer_id, amount, status FROM payments WHERE id = $1 FOR UPDATE",
                    {id}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("payment ", id, " not found"));
  PaymentState state;
  state.set_customer_id(std::string(r.Text(0, 0)));
  EDA_ASSIGN_OR_RETURN(double amount, r.Double(0, 1));
  state.set_amount(amount);
  PaymentState::Status status = PaymentState::UNKNOWN;
  PaymentState::Status_Parse(absl::AsciiStrToUpper(r.Text(0, 2)), &status);
  state.set_status(status);
  return Payment::Restore(id, std::move(state));
}

void SavePayment(UnitOfWork& uow, const Payment& p) {
  uow.Defer(
      "INSERT INTO payments (id, customer_id, amount, status) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (id) DO UPDATE SET status = $4, updated_at = now()",
      {p.id(), p.state().customer_id(), p.state().amount(), p.StatusName()});
}

absl::StatusOr<Invoice> LoadInvoice(UnitOfWork& uow, const std::string& id) {
  EDA_ASSIGN_OR_RETURN(
      eda::pg::Result r,
      uow.tx().Exec("SELECT order_id, amount, status FROM invoices WHERE id = $1 FOR UPDATE",
                    {id}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("invoice ", id, " not found"));
  InvoiceState state;
  state.set_order_id(std::string(r.Text(0, 0)));
  EDA_ASSIGN_OR_RETURN(double amount, r.Double(0, 1));
  state.set_amount(amount);
  InvoiceState::Status status = InvoiceState::UNKNOWN;
  InvoiceState::Status_Parse(absl::AsciiStrToUpper(r.Text(0, 2)), &status);
  state.set_status(status);
  return Invoice::Restore(id, std::move(state));
}

void SaveInvoice(UnitOfWork& uow, const Invoice& i) {
  uow.Defer(
      "INSERT INTO invoices (id, order_id, amount, status) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (id) DO UPDATE SET amount = $3, status = $4, updated_at = now()",
      {i.id(), i.state().order_id(), i.state().amount(), i.StatusName()});
}

}  // namespace

eda::service::UseCases<application::Ports>::PortsFactory PortsFactory() {
  return [payments = eda::es::StateStore<Payment>({.load = LoadPayment, .save = SavePayment}, {}),
          invoices = eda::es::StateStore<Invoice>({.load = LoadInvoice, .save = SaveInvoice},
                                                  {.integrate = application::InvoiceMessage})](
             UnitOfWork& uow, const auto& use_case) {
    eda::es::BoundRepository<Payment> payment_repository(payments, uow);
    eda::es::BoundRepository<Invoice> invoice_repository(invoices, uow);
    application::Ports ports{payment_repository, invoice_repository};
    return use_case(ports);
  };
}

}  // namespace payments::postgres
