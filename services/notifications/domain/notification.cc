#include "services/notifications/domain/notification.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace notifications::domain {
namespace {

// The order as a customer reads it: the first block of its id.
std::string ShortId(const std::string& order_id) { return order_id.substr(0, 8); }

}  // namespace

std::optional<Sms> Compose(Notice notice, const std::string& order_id, const Recipient& recipient) {
  if (absl::StripAsciiWhitespace(recipient.sms_number).empty()) return std::nullopt;
  const std::string greeting =
      recipient.name.empty() ? std::string("Hello") : absl::StrCat("Hello ", recipient.name);
  const std::string order = absl::StrCat("your order ", ShortId(order_id));
  std::string text;
  switch (notice) {
    case ORDER_CREATED:
      text = absl::StrCat(greeting, ", ", order, " has been received.");
      break;
    case ORDER_READY:
      text = absl::StrCat(greeting, ", ", order, " is ready for pickup.");
      break;
    case ORDER_CANCELED:
      text = absl::StrCat(greeting, ", ", order, " has been canceled.");
      break;
    case ORDER_COMPLETED:
      text = absl::StrCat(greeting, ", ", order, " is complete. Thank you!");
      break;
    default:
      return std::nullopt;
  }
  Sms sms;
  sms.set_notice(notice);
  sms.set_order_id(order_id);
  sms.set_customer_id(recipient.customer_id);
  sms.set_to(recipient.sms_number);
  sms.set_text(std::move(text));
  return sms;
}

absl::string_view NoticeName(Notice notice) {
  switch (notice) {
    case ORDER_CREATED:
      return "order_created";
    case ORDER_READY:
      return "order_ready";
    case ORDER_CANCELED:
      return "order_canceled";
    case ORDER_COMPLETED:
      return "order_completed";
    default:
      return "unspecified";
  }
}

}  // namespace notifications::domain
