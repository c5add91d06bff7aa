#include "services/stores/api/messages.h"

#include "proto/stores/stores_api.pb.h"

namespace stores::api {

void RegisterMessages(eda::messaging::TypeRegistry& registry) {
  registry.Register<storespb::StoreCreated>(kStoreCreated);
  registry.Register<storespb::StoreParticipationToggled>(kStoreParticipatingToggled);
  registry.Register<storespb::StoreRebranded>(kStoreRebranded);
  registry.Register<storespb::ProductAdded>(kProductAdded);
  registry.Register<storespb::ProductRebranded>(kProductRebranded);
  registry.Register<storespb::ProductPriceChanged>(kProductPriceIncreased);
  registry.Register<storespb::ProductPriceChanged>(kProductPriceDecreased);
  registry.Register<storespb::ProductRemoved>(kProductRemoved);
}

}  // namespace stores::api
