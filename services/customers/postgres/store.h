// File: store.h
// The customers service's PostgreSQL side: its migrations, the repository over the `customers`
// table and the event sink that turns domain events into outbox messages, both bound to one
// unit of work.
#pragma once

#include <vector>

#include "libs/outbox/unit_of_work.h"
#include "libs/pg/migrations.h"
#include "services/customers/domain/customer.h"

namespace customers::postgres {

// The service's own migrations (versions from 100), embedded from services/customers/migrations.
std::vector<eda::pg::Migration> Migrations();

class CustomerRepository final : public domain::CustomerRepository {
 public:
  explicit CustomerRepository(eda::outbox::UnitOfWork& uow) : uow_(uow) {}
  absl::StatusOr<domain::Customer> Find(const std::string& id) override;
  absl::Status Insert(const domain::Customer& customer) override;
  absl::Status Update(const domain::Customer& customer) override;

 private:
  eda::outbox::UnitOfWork& uow_;
};

// Publishes customersapi.* integration events on mallbots.customers.events.Customer.
class OutboxEvents final : public domain::EventSink {
 public:
  explicit OutboxEvents(eda::outbox::UnitOfWork& uow) : uow_(uow) {}
  absl::Status Publish(const domain::CustomerEvent& event) override;

 private:
  eda::outbox::UnitOfWork& uow_;
};

}  // namespace customers::postgres
