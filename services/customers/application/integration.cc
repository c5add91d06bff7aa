#include "services/customers/application/integration.h"

#include "libs/common/overloaded.h"
#include "libs/eventsourcing/store.h"
#include "proto/customers/customers_api.pb.h"
#include "services/customers/api/messages.h"

namespace customers::application {

std::optional<eda::messaging::Message> CustomerMessage(const std::string& id,
                                                       const domain::CustomerEvent& event) {
  auto message = [](const char* name, const google::protobuf::MessageLite& payload) {
    return std::optional(eda::es::IntegrationEvent(api::kEventsSubject, name, payload));
  };
  return std::visit(eda::Overloaded{
                        [&](const domain::CustomerRegistered& e) {
                          customerspb::CustomerRegistered p;
                          p.set_id(id);
                          p.set_name(e.name());
                          p.set_sms_number(e.sms_number());
                          return message(api::kCustomerRegistered, p);
                        },
                        [&](const domain::CustomerSmsChanged& e) {
                          customerspb::CustomerSmsChanged p;
                          p.set_id(id);
                          p.set_sms_number(e.sms_number());
                          return message(api::kCustomerSmsChanged, p);
                        },
                        [&](const domain::CustomerEnabled&) {
                          customerspb::CustomerEnabled p;
                          p.set_id(id);
                          return message(api::kCustomerEnabled, p);
                        },
                        [&](const domain::CustomerDisabled&) {
                          customerspb::CustomerDisabled p;
                          p.set_id(id);
                          return message(api::kCustomerDisabled, p);
                        },
                    },
                    event);
}

}  // namespace customers::application
