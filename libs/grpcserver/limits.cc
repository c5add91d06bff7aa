#include "libs/grpcserver/limits.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "libs/common/call_scope.h"

namespace eda::grpcserver {
namespace {

std::atomic<int> max_calls{CallLimits().max_calls};
std::atomic<int64_t> default_deadline_ms{absl::ToInt64Milliseconds(CallLimits().default_deadline)};
std::atomic<int> in_progress{0};

// Holds one of the places for a call in progress while it runs.
class Slot final {
 public:
  Slot() : taken_(in_progress.fetch_add(1) < max_calls.load()) {}
  ~Slot() { in_progress.fetch_sub(1); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  bool taken() const { return taken_; }

 private:
  bool taken_;
};

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
  absl::Time deadline = absl::Now() + absl::Milliseconds(default_deadline_ms.load());
  if (context->deadline() != std::chrono::system_clock::time_point::max()) {
    deadline = absl::FromChrono(context->deadline());
  }
  CallScope scope(deadline, [context] { return context->IsCancelled(); });
  return body();
}

}  // namespace eda::grpcserver
