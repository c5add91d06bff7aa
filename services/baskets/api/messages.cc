#include "services/baskets/api/messages.h"

#include "proto/baskets/baskets_api.pb.h"

namespace baskets::api {

void RegisterMessages(eda::messaging::TypeRegistry& registry) {
  registry.RegisterAnnotated(basketspb::BasketStarted::descriptor()->file());
}

}  // namespace baskets::api
