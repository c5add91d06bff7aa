#include "services/customers/application/application.h"

#include "libs/common/ids.h"
#include "libs/common/status_macros.h"

namespace customers::application {
namespace {

absl::Status CheckId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("the customer id cannot be blank");
  if (!eda::IsUuid(id)) return absl::InvalidArgumentError("the customer id must be a UUID");
  return absl::OkStatus();
}

// Loads, applies a change that yields an event, stores and publishes it.
template <typename Change>
absl::Status Modify(Ports& ports, const std::string& id, Change change) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  EDA_ASSIGN_OR_RETURN(domain::Customer customer, ports.customers.Find(id));
  EDA_ASSIGN_OR_RETURN(domain::CustomerEvent event, change(customer));
  EDA_RETURN_IF_ERROR(ports.customers.Update(customer));
  return ports.events.Publish(event);
}

}  // namespace

absl::StatusOr<std::string> RegisterCustomer(Ports& ports,
                                             const std::function<std::string()>& new_id,
                                             std::string name, std::string sms_number) {
  EDA_ASSIGN_OR_RETURN(
      domain::Customer customer,
      domain::Customer::Register(new_id(), std::move(name), std::move(sms_number)));
  EDA_RETURN_IF_ERROR(ports.customers.Insert(customer));
  EDA_RETURN_IF_ERROR(ports.events.Publish(
      domain::CustomerRegistered{customer.id(), customer.name(), customer.sms_number()}));
  return customer.id();
}

absl::Status EnableCustomer(Ports& ports, const std::string& id) {
  return Modify(ports, id, [](domain::Customer& c) { return c.Enable(); });
}

absl::Status DisableCustomer(Ports& ports, const std::string& id) {
  return Modify(ports, id, [](domain::Customer& c) { return c.Disable(); });
}

absl::Status ChangeSmsNumber(Ports& ports, const std::string& id, std::string sms_number) {
  return Modify(ports, id,
                [&](domain::Customer& c) { return c.ChangeSmsNumber(std::move(sms_number)); });
}

absl::Status AuthorizeCustomer(Ports& ports, const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  EDA_ASSIGN_OR_RETURN(domain::Customer customer, ports.customers.Find(id));
  return customer.Authorize();
}

absl::StatusOr<domain::Customer> GetCustomer(domain::CustomerRepository& customers,
                                             const std::string& id) {
  EDA_RETURN_IF_ERROR(CheckId(id));
  return customers.Find(id);
}

}  // namespace customers::application
