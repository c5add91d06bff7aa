#include "services/customers/application/application.h"

#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace customers::application {

using domain::Customer;
using eda::es::Change;

absl::StatusOr<std::string> RegisterCustomer(Ports& ports, std::string name,
                                             std::string sms_number) {
  EDA_ASSIGN_OR_RETURN(Customer customer,
                       Customer::Register(eda::NewUuid(), std::move(name), std::move(sms_number)));
  EDA_RETURN_IF_ERROR(ports.customers.Save(customer));
  return customer.id();
}

absl::Status EnableCustomer(Ports& ports, const std::string& id) {
  EDA_RETURN_IF_ERROR(eda::validate::Id(id, "customer"));
  return Change(ports.customers, id, [](Customer& c) { return c.Enable(); });
}

absl::Status DisableCustomer(Ports& ports, const std::string& id) {
  EDA_RETURN_IF_ERROR(eda::validate::Id(id, "customer"));
  return Change(ports.customers, id, [](Customer& c) { return c.Disable(); });
}

absl::Status ChangeSmsNumber(Ports& ports, const std::string& id, std::string sms_number) {
  EDA_RETURN_IF_ERROR(eda::validate::Id(id, "customer"));
  return Change(ports.customers, id,
                [&](Customer& c) { return c.ChangeSmsNumber(std::move(sms_number)); });
}

absl::Status AuthorizeCustomer(Ports& ports, const std::string& id) {
  EDA_ASSIGN_OR_RETURN(Customer customer, GetCustomer(ports, id));
  return customer.Authorize();
}

absl::StatusOr<Customer> GetCustomer(Ports& ports, const std::string& id) {
  EDA_RETURN_IF_ERROR(eda::validate::Id(id, "customer"));
  return ports.customers.Load(id);
}

}  // namespace customers::application
