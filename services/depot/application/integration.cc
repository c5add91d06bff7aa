#include "services/depot/application/integration.h"

#include "libs/common/overloaded.h"
#include "libs/eventsourcing/store.h"
#include "proto/depot/depot_api.pb.h"
#include "services/depot/api/messages.h"

namespace depot::application {

using eda::Overloaded;
using Message = std::optional<eda::messaging::Message>;

Message ShoppingListMessage(const std::string& id, const domain::ShoppingListEvent& event) {
  return std::visit(Overloaded{
                        [&](const domain::ShoppingListCompleted& e) {
                          depotpb::ShoppingListCompleted p;
                          p.set_id(id);
                          p.set_order_id(e.order_id());
                          return Message(eda::es::IntegrationEvent(api::kShoppingListSubject,
                                                                   api::kShoppingListCompleted, p));
                        },
                        [](const auto&) { return Message(); },
                    },
                    event);
}

}  // namespace depot::application
