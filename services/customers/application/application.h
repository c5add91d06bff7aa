// File: application.h
// The customers use cases, each run against the ports of one unit of work
// (eda::service::UseCases<Ports> runs them; postgres/ builds the ports).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libs/eventsourcing/aggregate.h"
#include "services/customers/domain/customer.h"

namespace customers::application {

struct Ports {
  eda::es::AggregateRepository<domain::Customer>& customers;
};

// Errors of every use case taking an id: InvalidArgument when it is not a UUID, NotFound when no
// customer has it; plus the domain's errors.
absl::StatusOr<std::string> RegisterCustomer(Ports& ports, std::string name,
                                             std::string sms_number);
absl::Status EnableCustomer(Ports& ports, const std::string& id);
absl::Status DisableCustomer(Ports& ports, const std::string& id);
absl::Status ChangeSmsNumber(Ports& ports, const std::string& id, std::string sms_number);
absl::Status AuthorizeCustomer(Ports& ports, const std::string& id);
absl::StatusOr<domain::Customer> GetCustomer(Ports& ports, const std::string& id);

}  // namespace customers::application
