#include "services/depot/api/messages.h"

#include "proto/depot/depot_api.pb.h"

namespace depot::api {

void RegisterMessages(eda::messaging::TypeRegistry& registry) {
  registry.RegisterAnnotated(depotpb::ShoppingListCompleted::descriptor()->file());
}

}  // namespace depot::api
