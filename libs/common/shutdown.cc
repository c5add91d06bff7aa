#include "libs/common/shutdown.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

namespace eda {

ShutdownSignal& ShutdownSignal::Install() {
  static ShutdownSignal* instance = [] {
    auto* s = new ShutdownSignal();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([s, set] {
      // The first signal starts the orderly shutdown; a second one means "now".
      for (int received = 0;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (++received > 1) std::_Exit(128 + sig);
        s->Trigger(sig == SIGINT ? "SIGINT" : "SIGTERM");
      }
    }).detach();
    return s;
  }();
  return *instance;
}

void ShutdownSignal::Trigger(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  if (done_.HasBeenNotified()) return;
  reason_ = reason;
  done_.Notify();
}

std::string ShutdownSignal::reason() const {
  absl::MutexLock lock(&mu_);
  return reason_;
}

}  // namespace eda
