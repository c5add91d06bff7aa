// File: application.h
// The customers use cases. Each runs against the ports of one unit of work (a repository and an
// event sink that share a transaction); the adapters in grpc/ and handlers/ provide them.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "services/customers/domain/customer.h"

namespace customers::application {

struct Ports {
  domain::CustomerRepository& customers;
  domain::EventSink& events;
};

// Errors of every use case taking an id: InvalidArgument when it is not a UUID, NotFound when no
// customer has it; plus the domain's errors.
absl::StatusOr<std::string> RegisterCustomer(Ports& ports,
                                             const std::function<std::string()>& new_id,
                                             std::string name, std::string sms_number);
absl::Status EnableCustomer(Ports& ports, const std::string& id);
absl::Status DisableCustomer(Ports& ports, const std::string& id);
absl::Status ChangeSmsNumber(Ports& ports, const std::string& id, std::string sms_number);
absl::Status AuthorizeCustomer(Ports& ports, const std::string& id);
absl::StatusOr<domain::Customer> GetCustomer(domain::CustomerRepository& customers,
                                             const std::string& id);

}  // namespace customers::application
