// The cosec service: the CreateOrder saga's coordinator (spec §5.7, §6). No business gRPC API
// (gRPC health and the admin API's ListSagas/GetSaga for inspection); OrderCreated starts a saga,
// the replies move it, commands go out through the outbox, and a sweeper fails the steps whose
// replies are overdue and retries failed compensations.
#include "libs/service/runtime.h"
#include "services/cosec/handlers/handlers.h"
#include "services/cosec/saga/create_order.h"
#include "services/ordering/api/messages.h"

int main(int argc, char** argv) {
  eda::saga::Options options;
  auto rt = eda::service::Runtime::StartOrExit("cosec", argc, argv, {}, [&](eda::Config& c) {
    auto positive = [&c](const char* name, absl::Duration& value) {
      value = c.Duration(name, value);
      if (value <= absl::ZeroDuration()) c.Invalid(name, "must be a positive duration");
    };
    positive("SAGA_STEP_DEADLINE", options.step_deadline);
    positive("SAGA_RETRY_INITIAL", options.retry_initial);
    positive("SAGA_RETRY_MAX", options.retry_max);
    positive("SAGA_RETENTION", options.retention);
  });
  cosec::handlers::CreateOrder saga(cosec::CreateOrderSaga(), options, rt->pool(), &rt->metrics());
  rt->ConsumeOrExit("cosec-ordering", cosec::handlers::OrderEvents(saga),
                    {.names = {ordering::api::kOrderCreated}});
  rt->ConsumeOrExit("cosec-replies", saga.ReplyHandler());
  saga.StartSweeper();
  return rt->Serve({});
}
