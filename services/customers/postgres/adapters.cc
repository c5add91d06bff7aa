#include "services/customers/postgres/adapters.h"

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/eventsourcing/store.h"
#include "services/customers/application/integration.h"

namespace customers::postgres {
namespace {

using domain::Customer;
using eda::outbox::UnitOfWork;

absl::StatusOr<Customer> LoadCustomer(UnitOfWork& uow, const std::string& id) {
  // Locked: two concurrent changes of one customer run one after the other, so neither is lost
  // and each sees the state the other left.
  EDA_ASSIGN_OR_RETURN(
      eda::pg::Result r,
      uow.tx().Exec("SELECT name, sms_number, enabled FROM customers WHERE id = $1 FOR UPDATE",
                    {id}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("customer ", id, " not found"));
  domain::CustomerState state;
  state.set_name(std::string(r.Text(0, 0)));
  state.set_sms_number(std::string(r.Text(0, 1)));
  state.set_enabled(r.Bool(0, 2));
  return Customer::Restore(id, std::move(state));
}

void SaveCustomer(UnitOfWork& uow, const Customer& c) {
  uow.Defer(
      "INSERT INTO customers (id, name, sms_number, enabled) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (id) DO UPDATE SET name = $2, sms_number = $3, enabled = $4, "
      "updated_at = now()",
      {c.id(), c.state().name(), c.state().sms_number(), c.state().enabled()});
}

}  // namespace

eda::service::UseCases<application::Ports>::PortsFactory PortsFactory() {
  return [customers = eda::es::StateStore<Customer>({.load = LoadCustomer, .save = SaveCustomer},
                                                    {.integrate = application::CustomerMessage})](
             UnitOfWork& uow, const auto& use_case) {
    eda::es::BoundRepository<Customer> repository(customers, uow);
    application::Ports ports{repository};
    return use_case(ports);
  };
}

}  // namespace customers::postgres
