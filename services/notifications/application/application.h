// File: application.h
// The notifications use cases, each run against the ports of one unit of work
// (eda::service::UseCases<Ports>). A customer is told about an order at most once per notice:
// the record of what was sent commits with the consumed message (or the RPC), and the SMS goes
// out before that commit, so a crash between the two sends it again under the same idempotency
// key (at least once; receivers deduplicate on the key).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/customers/customers_service.pb.h"
#include "services/notifications/domain/notification.h"

namespace notifications::application {

// The customers cache, kept from the customers' events, asking the customers service on a miss.
class Customers {
 public:
  virtual ~Customers() = default;
  // Errors: NotFound "customer fallback failed: customer was not located"; the peer's others.
  virtual absl::StatusOr<customerspb::Customer> Find(const std::string& id) = 0;
  virtual void Registered(const customerspb::CustomerRegistered& e) = 0;
  virtual void SmsChanged(const customerspb::CustomerSmsChanged& e) = 0;
};

// Where the text messages go (a log line, an HTTP endpoint).
class Sender {
 public:
  virtual ~Sender() = default;
  // Sends `sms`; `key` identifies it across retries. Errors: Unavailable when it may go through
  // later (retried), FailedPrecondition when the receiver refuses it for good.
  virtual absl::Status Send(const domain::Sms& sms, const std::string& key) = 0;
};

// The record of the notices given.
class Notices {
 public:
  virtual ~Notices() = default;
  // Whether `notice` was given (sent, or skipped for want of a number) for `order_id`.
  virtual absl::StatusOr<bool> Given(const std::string& order_id, domain::Notice notice) = 0;
  // Records the notice (`sms` nullopt: skipped), with the commit.
  virtual void Record(const std::string& key, const std::string& order_id,
                      const std::string& customer_id, domain::Notice notice,
                      const std::optional<domain::Sms>& sms) = 0;
};

struct Ports {
  Customers& customers;
  Notices& notices;
  Sender& sender;
};

// Tells the customer about the order, once: looks the customer up, composes the text, sends it
// under `key` and records it. Nothing is sent when the notice was given already, nor to a
// customer without an SMS number (recorded as skipped). Errors: InvalidArgument "the order id
// must be a UUID", "the customer id must be a UUID"; Customers::Find's; Sender::Send's.
absl::Status Notify(Ports& p, domain::Notice notice, const std::string& key,
                    const std::string& order_id, const std::string& customer_id);

// The key of a notice asked for over gRPC: the same for every retry of the call.
std::string RequestKey(domain::Notice notice, const std::string& order_id);

}  // namespace notifications::application
