// File: notification.h
// What the mall tells a customer about an order, and in which words. Plain C++ over the
// context's own types (domain/notifications_domain.proto).
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "services/notifications/domain/notifications_domain.pb.h"

namespace notifications::domain {

// The customer as the notice addresses them.
struct Recipient {
  std::string customer_id;
  std::string name;
  std::string sms_number;
};

// The text telling `recipient` about `notice` for order `order_id`; nullopt when the customer has
// no SMS number (nothing to send). `notice` is one of the Notice values but NOTICE_UNSPECIFIED.
std::optional<Sms> Compose(Notice notice, const std::string& order_id, const Recipient& recipient);

// "order_created", "order_ready", "order_canceled", "order_completed": the notice as records and
// logs name it.
absl::string_view NoticeName(Notice notice);

}  // namespace notifications::domain
