// File: shutdown.h
// SIGINT/SIGTERM handling for service processes.
//
// Call ShutdownSignal::Install() first thing in main, before any thread starts: it blocks the two
// signals in the calling thread (so every thread created later inherits the mask) and starts one
// thread that waits for them with sigwait(). main then blocks in Wait() and runs its orderly
// shutdown when it returns. Trigger() does the same from code (tests, fatal errors).
#pragma once

#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace eda {

class ShutdownSignal final {
 public:
  // Installs the handler once per process and returns it. Thread-safe.
  static ShutdownSignal& Install();

  // Blocks until a signal arrives or Trigger() is called.
  void Wait() { done_.WaitForNotification(); }
  // As Wait(), but gives up after `timeout`; returns whether shutdown was requested.
  bool WaitFor(absl::Duration timeout) { return done_.WaitForNotificationWithTimeout(timeout); }
  bool requested() const { return done_.HasBeenNotified(); }

  // Requests shutdown with a reason (e.g. "SIGTERM"). Only the first call counts.
  void Trigger(const std::string& reason);
  // The reason given with the first request, or "" before any.
  std::string reason() const;

 private:
  ShutdownSignal() = default;

  absl::Notification done_;
  mutable absl::Mutex mu_;
  std::string reason_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eda
