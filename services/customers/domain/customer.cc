#include "services/customers/domain/customer.h"

#include "libs/common/overloaded.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace customers::domain {
namespace {

absl::Status CheckSmsNumber(const std::string& sms_number) {
  EDA_RETURN_IF_ERROR(eda::validate::NotBlank(sms_number, "SMS number"));
  return eda::validate::Text(sms_number, kMaxSmsNumberLength, "SMS number");
}

}  // namespace

absl::StatusOr<Customer> Customer::Register(std::string id, std::string name,
                                            std::string sms_number) {
  EDA_RETURN_IF_ERROR(eda::validate::NotBlank(name, "customer name"));
  EDA_RETURN_IF_ERROR(eda::validate::Text(name, kMaxNameLength, "customer name"));
  EDA_RETURN_IF_ERROR(CheckSmsNumber(sms_number));
  Customer customer(std::move(id));
  CustomerRegistered registered;
  registered.set_name(std::move(name));
  registered.set_sms_number(std::move(sms_number));
  customer.Raise(std::move(registered));
  return customer;
}

Customer Customer::Restore(std::string id, CustomerState state) {
  Customer customer(std::move(id));
  customer.state_ = std::move(state);
  return customer;
}

absl::Status Customer::Enable() {
  if (state_.enabled()) return absl::InvalidArgumentError("the customer is already enabled");
  Raise(CustomerEnabled());
  return absl::OkStatus();
}

absl::Status Customer::Disable() {
  if (!state_.enabled()) return absl::InvalidArgumentError("the customer is already disabled");
  Raise(CustomerDisabled());
  return absl::OkStatus();
}

absl::Status Customer::ChangeSmsNumber(std::string sms_number) {
  EDA_RETURN_IF_ERROR(CheckSmsNumber(sms_number));
  CustomerSmsChanged changed;
  changed.set_sms_number(std::move(sms_number));
  Raise(std::move(changed));
  return absl::OkStatus();
}

absl::Status Customer::Authorize() const {
  if (!state_.enabled()) return absl::UnauthenticatedError("customer is not authorized");
  return absl::OkStatus();
}

void Customer::When(const CustomerEvent& event) {
  std::visit(eda::Overloaded{
                 [this](const CustomerRegistered& e) {
                   state_.set_name(e.name());
                   state_.set_sms_number(e.sms_number());
                   state_.set_enabled(true);
                 },
                 [this](const CustomerSmsChanged& e) { state_.set_sms_number(e.sms_number()); },
                 [this](const CustomerEnabled&) { state_.set_enabled(true); },
                 [this](const CustomerDisabled&) { state_.set_enabled(false); },
             },
             event);
}

}  // namespace customers::domain
