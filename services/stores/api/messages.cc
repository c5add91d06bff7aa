#include "services/stores/api/messages.h"

#include "proto/stores/stores_api.pb.h"

namespace stores::api {

void RegisterMessages(eda::messaging::TypeRegistry& registry) {
  registry.RegisterAnnotated(storespb::StoreCreated::descriptor()->file());
}

}  // namespace stores::api
