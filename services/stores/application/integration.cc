#include "services/stores/application/integration.h"

#include "libs/common/overloaded.h"
#include "libs/eventsourcing/store.h"
#include "proto/stores/stores_api.pb.h"
#include "services/stores/api/messages.h"

namespace stores::application {
namespace {

using eda::Overloaded;
using eda::es::IntegrationEvent;
using Message = std::optional<eda::messaging::Message>;

Message Toggled(const std::string& id, bool participating) {
  storespb::StoreParticipationToggled p;
  p.set_id(id);
  p.set_participating(participating);
  return IntegrationEvent(api::kStoreSubject, api::kStoreParticipatingToggled, p);
}

Message PriceChanged(const char* name, const std::string& id, double delta) {
  storespb::ProductPriceChanged p;
  p.set_id(id);
  p.set_delta(delta);
  return IntegrationEvent(api::kProductSubject, name, p);
}

}  // namespace

Message StoreMessage(const std::string& id, const domain::StoreEvent& event) {
  return std::visit(
      Overloaded{
          [&](const domain::StoreCreated& e) {
            storespb::StoreCreated p;
            p.set_id(id);
            p.set_name(e.name());
            p.set_location(e.location());
            return Message(IntegrationEvent(api::kStoreSubject, api::kStoreCreated, p));
          },
          [&](const domain::StoreParticipationEnabled&) { return Toggled(id, true); },
          [&](const domain::StoreParticipationDisabled&) { return Toggled(id, false); },
          [&](const domain::StoreRebranded& e) {
            storespb::StoreRebranded p;
            p.set_id(id);
            p.set_name(e.name());
            return Message(IntegrationEvent(api::kStoreSubject, api::kStoreRebranded, p));
          },
      },
      event);
}

Message ProductMessage(const std::string& id, const domain::ProductEvent& event) {
  return std::visit(
      Overloaded{
          [&](const domain::ProductAdded& e) {
            storespb::ProductAdded p;
            p.set_id(id);
            p.set_store_id(e.store_id());
            p.set_name(e.name());
            p.set_description(e.description());
            p.set_sku(e.sku());
            p.set_price(e.price());
            return Message(IntegrationEvent(api::kProductSubject, api::kProductAdded, p));
          },
          [&](const domain::ProductRebranded& e) {
            storespb::ProductRebranded p;
            p.set_id(id);
            p.set_name(e.name());
            p.set_description(e.description());
            return Message(IntegrationEvent(api::kProductSubject, api::kProductRebranded, p));
          },
          [&](const domain::ProductPriceIncreased& e) {
            return PriceChanged(api::kProductPriceIncreased, id, e.delta());
          },
          [&](const domain::ProductPriceDecreased& e) {
            return PriceChanged(api::kProductPriceDecreased, id, e.delta());
          },
          [&](const domain::ProductRemoved&) {
            storespb::ProductRemoved p;
            p.set_id(id);
            return Message(IntegrationEvent(api::kProductSubject, api::kProductRemoved, p));
          },
      },
      event);
}

}  // namespace stores::application
