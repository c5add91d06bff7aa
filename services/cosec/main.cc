// The cosec service: the CreateOrder saga's coordinator (spec §5.7, §6). No business gRPC API
// (gRPC health and the admin API's ListSagas/GetSaga for inspection); OrderCreated starts a saga,
// the replies move it, commands go out through the outbox, and a sweeper fails the steps whose
// replies are overdue and retries failed compensations.
#include "services/cosec/service.h"

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
  eda::service::Wired service = cosec::Wire(*rt, options);
  return rt->Serve(service.grpc);
}
