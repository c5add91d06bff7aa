#include "libs/grpcserver/limits.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "libs/common/call_scope.h"

namespace eda::grpcserver {
namespace {

std::atomic<int> max_calls{CallLimits().max_calls};
std::atomic<int64_t> default_deadline_ms{absl::ToInt64Milliseconds(CallLimits().default_deadline)};
std::atomic<int> in_progress{0};

// Holds one of the places for a call in progress while it runs; a call refused holds none.
class Slot final {
 public:
  Slot() {
    int n = in_progress.load();
    while (n < max_calls.load()) {
      if (in_progress.compare_exchange_weak(n, n + 1)) {
        taken_ = true;
        return;
      }
    }
  }
  ~Slot() {
    if (taken_) in_progress.fetch_sub(1);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  bool taken() const { return taken_; }

 private:
  bool taken_ = false;
};

// ServerContext::IsCancelled() of the synchronous API polls the call's completion queue: a round
// of gRPC's pollset with its thread hand-offs (about three futex calls each time). A call is
// asked only once it has run this long; one that ends sooner is done before a cancellation could
// spare any work.
constexpr absl::Duration kAskCancelledAfter = absl::Milliseconds(10);

}  // namespace

void SetCallLimits(const CallLimits& limits) {
  max_calls.store(limits.max_calls);
  default_deadline_ms.store(absl::ToInt64Milliseconds(limits.default_deadline));
}

grpc::Status RunCall(grpc::ServerContext* context, absl::FunctionRef<grpc::Status()> body) {
  Slot slot;
  if (!slot.taken()) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("the service is busy: ", max_calls.load(),
                                     " calls in progress, the most it takes at once; try again"));
  }
  const absl::Duration default_deadline = absl::Milliseconds(default_deadline_ms.load());
  const bool own = context->deadline() != std::chrono::system_clock::time_point::max();
  const absl::Time deadline =
      own ? absl::FromChrono(context->deadline()) : absl::Now() + default_deadline;
  grpc::Status status;
  {
    const absl::Time started = absl::Now();
    CallScope scope(deadline, [context, started] {
      return absl::Now() - started >= kAskCancelledAfter && context->IsCancelled();
    });
    status = body();
  }
  // A call that failed once its deadline had passed failed for that (not as the infrastructure's
  // failure the handler may report).
  if (!status.ok() && absl::Now() >= deadline) {
    return grpc::Status(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        own ? "the call's deadline passed"
            : absl::StrCat("the call's deadline passed (the default of ",
                           absl::FormatDuration(default_deadline), ": the call carried none)"));
  }
  return status;
}

}  // namespace eda::grpcserver
