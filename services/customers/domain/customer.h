// File: customer.h
// The Customer aggregate (spec §5.2), state-stored: registered enabled, then enabled <-> disabled;
// only an enabled customer is authorized. Its events and state are the messages of
// customers_domain.proto.
#pragma once

#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "services/customers/domain/customers_domain.pb.h"

namespace customers::domain {

inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxSmsNumberLength = 32;

using CustomerEvent =
    std::variant<CustomerRegistered, CustomerSmsChanged, CustomerEnabled, CustomerDisabled>;

class Customer final : public eda::es::Aggregate<CustomerEvent> {
 public:
  // Errors: InvalidArgument "the customer name cannot be blank" / "the SMS number cannot be
  // blank", or a too long value, or one holding NUL bytes.
  static absl::StatusOr<Customer> Register(std::string id, std::string name,
                                           std::string sms_number);
  // Rebuilds a stored customer (no validation, no event).
  static Customer Restore(std::string id, CustomerState state);

  // Errors: InvalidArgument "the customer is already enabled".
  absl::Status Enable();
  // Errors: InvalidArgument "the customer is already disabled".
  absl::Status Disable();
  // Errors: InvalidArgument "the SMS number cannot be blank" (or too long).
  absl::Status ChangeSmsNumber(std::string sms_number);
  // Errors: Unauthenticated "customer is not authorized" when disabled.
  absl::Status Authorize() const;

  const CustomerState& state() const { return state_; }

 private:
  explicit Customer(std::string id) : Aggregate(std::move(id)) {}
  void When(const CustomerEvent& event) override;

  CustomerState state_;
};

}  // namespace customers::domain
