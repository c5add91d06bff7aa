#include "services/customers/api/messages.h"

#include "proto/customers/customers_api.pb.h"

namespace customers::api {

void RegisterMessages(eda::messaging::TypeRegistry& registry) {
  registry.Register<customerspb::CustomerRegistered>(kCustomerRegistered);
  registry.Register<customerspb::CustomerSmsChanged>(kCustomerSmsChanged);
  registry.Register<customerspb::CustomerEnabled>(kCustomerEnabled);
  registry.Register<customerspb::CustomerDisabled>(kCustomerDisabled);
  registry.Register<customerspb::AuthorizeCustomer>(kAuthorizeCustomer);
}

}  // namespace customers::api
