// File: health.h
// Whether the database answers, known without asking it on every call.
//
// A probe thread runs `SELECT 1` every `every` on a connection of its own (opened again when
// lost). healthy() is true while the last probe succeeded and is recent: a probe that hangs
// (a server that stopped answering without closing the connection) turns it false after
// `every + timeout`, with no wait on the caller's side.
//
//   auto probe = pg::HealthProbe::Start({.dsn = dsn});
//   if (!probe->healthy()) ...  // e.g. a readiness check, a consumer that pauses fetching
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace eda::pg {

class HealthProbe final {
 public:
  struct Options {
    std::string dsn;
    absl::Duration every = absl::Seconds(1);
    absl::Duration timeout = absl::Seconds(2);
  };
  // Healthy until the first probe says otherwise.
  static std::unique_ptr<HealthProbe> Start(Options options);
  ~HealthProbe();
  HealthProbe(const HealthProbe&) = delete;
  HealthProbe& operator=(const HealthProbe&) = delete;

  bool healthy() const;
  // OK, or why the database is not healthy (Unavailable).
  absl::Status status() const;

 private:
  explicit HealthProbe(Options options);
  void Loop();

  const Options options_;
  mutable absl::Mutex mu_;
  absl::Time last_ok_ ABSL_GUARDED_BY(mu_);
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace eda::pg
