// File: customer.h
// The Customer aggregate (spec §5.2): registered enabled, then enabled <-> disabled; only an
// enabled customer is authorized. Plain C++: no protobuf, libpq or NATS here.
#pragma once

#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace customers::domain {

inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxSmsNumberLength = 32;

// Domain events (raised by the aggregate, published by the application).
struct CustomerRegistered {
  std::string id, name, sms_number;
};
struct CustomerSmsChanged {
  std::string id, sms_number;
};
struct CustomerEnabled {
  std::string id;
};
struct CustomerDisabled {
  std::string id;
};
using CustomerEvent =
    std::variant<CustomerRegistered, CustomerSmsChanged, CustomerEnabled, CustomerDisabled>;

class Customer final {
 public:
  // Errors: InvalidArgument "the customer name cannot be blank" / "the SMS number cannot be
  // blank", or a too long value.
  static absl::StatusOr<Customer> Register(std::string id, std::string name,
                                           std::string sms_number);
  // Rebuilds a stored customer (no validation, no event).
  static Customer Restore(std::string id, std::string name, std::string sms_number, bool enabled);

  // Errors: InvalidArgument "the customer is already enabled".
  absl::StatusOr<CustomerEvent> Enable();
  // Errors: InvalidArgument "the customer is already disabled".
  absl::StatusOr<CustomerEvent> Disable();
  // Errors: InvalidArgument "the SMS number cannot be blank" (or too long).
  absl::StatusOr<CustomerEvent> ChangeSmsNumber(std::string sms_number);
  // Errors: Unauthenticated "customer is not authorized" when disabled.
  absl::Status Authorize() const;

  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& sms_number() const { return sms_number_; }
  bool enabled() const { return enabled_; }

 private:
  Customer(std::string id, std::string name, std::string sms_number, bool enabled)
      : id_(std::move(id)),
        name_(std::move(name)),
        sms_number_(std::move(sms_number)),
        enabled_(enabled) {}

  std::string id_;
  std::string name_;
  std::string sms_number_;
  bool enabled_;
};

// Where customers live. Implemented over PostgreSQL in postgres/, by a fake in tests.
class CustomerRepository {
 public:
  virtual ~CustomerRepository() = default;
  // Errors: NotFound "customer <id> not found".
  virtual absl::StatusOr<Customer> Find(const std::string& id) = 0;
  virtual absl::Status Insert(const Customer& customer) = 0;
  virtual absl::Status Update(const Customer& customer) = 0;
};

// Where domain events go (the outbox, as integration events).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual absl::Status Publish(const CustomerEvent& event) = 0;
};

}  // namespace customers::domain
