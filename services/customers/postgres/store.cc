#include "services/customers/postgres/store.h"

#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "proto/customers/customers_api.pb.h"
#include "services/customers/api/messages.h"

namespace customers::postgres {

absl::StatusOr<domain::Customer> CustomerRepository::Find(const std::string& id) {
  EDA_ASSIGN_OR_RETURN(
      eda::pg::Result r,
      // Locked: two concurrent changes of one customer run one after the other, so neither is
      // lost and each sees the state the other left.
      uow_.tx().Exec("SELECT name, sms_number, enabled FROM customers WHERE id = $1 FOR UPDATE",
                     {id}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("customer ", id, " not found"));
  return domain::Customer::Restore(id, std::string(r.Text(0, 0)), std::string(r.Text(0, 1)),
                                   r.Bool(0, 2));
}

absl::Status CustomerRepository::Insert(const domain::Customer& c) {
  uow_.Defer("INSERT INTO customers (id, name, sms_number, enabled) VALUES ($1, $2, $3, $4)",
             {c.id(), c.name(), c.sms_number(), c.enabled()});
  return absl::OkStatus();
}

absl::Status CustomerRepository::Update(const domain::Customer& c) {
  uow_.Defer(
      "UPDATE customers SET name = $2, sms_number = $3, enabled = $4, updated_at = now() "
      "WHERE id = $1",
      {c.id(), c.name(), c.sms_number(), c.enabled()});
  return absl::OkStatus();
}

namespace {

// Domain event -> (message name, integration payload).
std::pair<const char*, std::string> Encode(const domain::CustomerRegistered& e) {
  customerspb::CustomerRegistered p;
  p.set_id(e.id);
  p.set_name(e.name);
  p.set_sms_number(e.sms_number);
  return {api::kCustomerRegistered, p.SerializeAsString()};
}
std::pair<const char*, std::string> Encode(const domain::CustomerSmsChanged& e) {
  customerspb::CustomerSmsChanged p;
  p.set_id(e.id);
  p.set_sms_number(e.sms_number);
  return {api::kCustomerSmsChanged, p.SerializeAsString()};
}
std::pair<const char*, std::string> Encode(const domain::CustomerEnabled& e) {
  customerspb::CustomerEnabled p;
  p.set_id(e.id);
  return {api::kCustomerEnabled, p.SerializeAsString()};
}
std::pair<const char*, std::string> Encode(const domain::CustomerDisabled& e) {
  customerspb::CustomerDisabled p;
  p.set_id(e.id);
  return {api::kCustomerDisabled, p.SerializeAsString()};
}

}  // namespace

absl::Status OutboxEvents::Publish(const domain::CustomerEvent& event) {
  auto [name, payload] = std::visit([](const auto& e) { return Encode(e); }, event);
  eda::messaging::Message m;
  m.id = eda::NewUuid();
  m.name = name;
  m.subject = api::kEventsSubject;
  m.payload = std::move(payload);
  m.occurred_at = absl::Now();
  return uow_.Publish(std::move(m));
}

}  // namespace customers::postgres
