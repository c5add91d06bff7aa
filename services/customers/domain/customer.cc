#include "services/customers/domain/customer.h"

#include "absl/strings/str_cat.h"

namespace customers::domain {
namespace {

absl::Status CheckSmsNumber(const std::string& sms_number) {
  if (sms_number.empty()) return absl::InvalidArgumentError("the SMS number cannot be blank");
  if (sms_number.size() > kMaxSmsNumberLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("the SMS number cannot be longer than ", kMaxSmsNumberLength, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Customer> Customer::Register(std::string id, std::string name,
                                            std::string sms_number) {
  if (name.empty()) return absl::InvalidArgumentError("the customer name cannot be blank");
  if (name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("the customer name cannot be longer than ", kMaxNameLength, " characters"));
  }
  if (absl::Status s = CheckSmsNumber(sms_number); !s.ok()) return s;
  return Customer(std::move(id), std::move(name), std::move(sms_number), /*enabled=*/true);
}

Customer Customer::Restore(std::string id, std::string name, std::string sms_number, bool enabled) {
  return Customer(std::move(id), std::move(name), std::move(sms_number), enabled);
}

absl::StatusOr<CustomerEvent> Customer::Enable() {
  if (enabled_) return absl::InvalidArgumentError("the customer is already enabled");
  enabled_ = true;
  return CustomerEvent(CustomerEnabled{id_});
}

absl::StatusOr<CustomerEvent> Customer::Disable() {
  if (!enabled_) return absl::InvalidArgumentError("the customer is already disabled");
  enabled_ = false;
  return CustomerEvent(CustomerDisabled{id_});
}

absl::StatusOr<CustomerEvent> Customer::ChangeSmsNumber(std::string sms_number) {
  if (absl::Status s = CheckSmsNumber(sms_number); !s.ok()) return s;
  sms_number_ = std::move(sms_number);
  return CustomerEvent(CustomerSmsChanged{id_, sms_number_});
}

absl::Status Customer::Authorize() const {
  if (!enabled_) return absl::UnauthenticatedError("customer is not authorized");
  return absl::OkStatus();
}

}  // namespace customers::domain
