// File: service.cc
#include "services/cosec/service.h"

#include <memory>

#include "services/cosec/handlers/handlers.h"
#include "services/cosec/saga/create_order.h"
#include "services/ordering/api/messages.h"

namespace cosec {

eda::service::Wired Wire(eda::service::Runtime& rt, const eda::saga::Options& options) {
  auto saga =
      std::make_shared<handlers::CreateOrder>(CreateOrderSaga(), options, rt.pool(), &rt.metrics());
  rt.ConsumeOrExit("cosec-ordering", handlers::OrderEvents(*saga),
                   {.names = {ordering::api::kOrderCreated}});
  rt.ConsumeOrExit("cosec-replies", saga->ReplyHandler());
  saga->StartSweeper();
  return {{}, saga};
}

}  // namespace cosec
