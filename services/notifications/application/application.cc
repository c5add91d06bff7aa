#include "services/notifications/application/application.h"

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace notifications::application {

namespace validate = eda::validate;

absl::Status Notify(Ports& p, domain::Notice notice, const std::string& key,
                    const std::string& order_id, const std::string& customer_id) {
  EDA_RETURN_IF_ERROR(validate::Id(order_id, "order"));
  EDA_RETURN_IF_ERROR(validate::Id(customer_id, "customer"));
  EDA_ASSIGN_OR_RETURN(bool given, p.notices.Given(order_id, notice));
  if (given) return absl::OkStatus();
  EDA_ASSIGN_OR_RETURN(customerspb::Customer customer, p.customers.Find(customer_id));
  std::optional<domain::Sms> sms = domain::Compose(
      notice, order_id,
      {.customer_id = customer_id, .name = customer.name(), .sms_number = customer.sms_number()});
  if (sms.has_value()) EDA_RETURN_IF_ERROR(p.sender.Send(*sms, key));
  p.notices.Record(key, order_id, customer_id, notice, sms);
  return absl::OkStatus();
}

std::string RequestKey(domain::Notice notice, const std::string& order_id) {
  return absl::StrCat(domain::NoticeName(notice), "/", order_id);
}

}  // namespace notifications::application
