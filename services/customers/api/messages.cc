#include "services/customers/api/messages.h"

#include "proto/customers/customers_api.pb.h"

namespace customers::api {

void RegisterMessages(eda::messaging::TypeRegistry& registry) {
  registry.RegisterAnnotated(customerspb::CustomerRegistered::descriptor()->file());
}

}  // namespace customers::api
