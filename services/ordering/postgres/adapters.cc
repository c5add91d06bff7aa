#include "services/ordering/postgres/adapters.h"

#include "libs/eventsourcing/proto_codec.h"
#include "libs/eventsourcing/store.h"
#include "services/ordering/application/integration.h"

namespace ordering::postgres {

eda::service::UseCases<application::Ports>::PortsFactory PortsFactory() {
  return [orders = eda::es::EventSourcedStore<domain::Order>(
              eda::es::ProtoRepository<domain::Order>({.snapshot_every = 3, .noun = "order"}),
              {.integrate = application::OrderMessage})](eda::outbox::UnitOfWork& uow,
                                                         const auto& use_case) {
    eda::es::BoundRepository<domain::Order> order_repository(orders, uow);
    application::Ports ports{order_repository};
    return use_case(ports);
  };
}

}  // namespace ordering::postgres
