#include "services/ordering/api/messages.h"

#include "proto/ordering/ordering_api.pb.h"

namespace ordering::api {

void RegisterMessages(eda::messaging::TypeRegistry& registry) {
  registry.RegisterAnnotated(orderingpb::OrderCreated::descriptor()->file());
}

}  // namespace ordering::api
