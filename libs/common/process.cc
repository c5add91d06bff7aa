#include "libs/common/process.h"

#include "absl/synchronization/mutex.h"

namespace eda {

void ApplyReleaseDefaults() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace eda
