#include "libs/common/call_scope.h"

namespace eda {
namespace {

thread_local const CallScope* current = nullptr;

}  // namespace

CallScope::CallScope(absl::Time deadline, std::function<bool()> cancelled)
    : deadline_(deadline), cancelled_(std::move(cancelled)), outer_(current) {
  current = this;
}

CallScope::~CallScope() { current = outer_; }

absl::Time CallScope::Deadline() {
  return current != nullptr ? current->deadline_ : absl::InfiniteFuture();
}

absl::Status CallScope::Check() {
  if (current == nullptr) return absl::OkStatus();
  if (absl::Now() >= current->deadline_) {
    return absl::DeadlineExceededError("the call's deadline passed");
  }
  if (current->cancelled_ && current->cancelled_()) {
    return absl::CancelledError("the caller cancelled the call");
  }
  return absl::OkStatus();
}

}  // namespace eda
