// File: call_scope.h
// The deadline and cancellation of the call a thread is serving, so that work done for a caller
// stops when the caller is gone: no wait for a pooled connection past its deadline, no retry of
// a conflicting unit of work after it left. The gRPC server sets it around every handler
// (EDA_RPC); outside a call there is no deadline.
//
//   CallScope scope(deadline, [ctx] { return ctx->IsCancelled(); });
//   EDA_RETURN_IF_ERROR(CallScope::Check());   // DeadlineExceeded / Cancelled once it is over
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace eda {

class CallScope final {
 public:
  CallScope(absl::Time deadline, std::function<bool()> cancelled);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // The deadline of the call on this thread (InfiniteFuture outside a call or with none).
  static absl::Time Deadline();
  // DeadlineExceeded when the deadline passed, Cancelled when the caller cancelled, else OK.
  static absl::Status Check();

 private:
  absl::Time deadline_;
  std::function<bool()> cancelled_;
  const CallScope* outer_;
};

}  // namespace eda
