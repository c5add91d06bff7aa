// File: ops_server.h
// The small HTTP port of every process: /healthz (alive), /readyz (ready to take traffic) and
// /metrics (Prometheus text exposition).
//
// /readyz answers 200 when every readiness check returns OK and the process is not draining,
// otherwise 503; the body is JSON naming each check's result. Checks run on the request thread,
// so they must be quick (e.g. a connection-state flag, not a query with no timeout).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace eda::obs {

class MetricsRegistry;

class OpsServer final {
 public:
  struct Options {
    std::string host = "0.0.0.0";
    int port = 8080;  // 0 picks a free port; see port()
  };
  using Check = std::function<absl::Status()>;

  // Binds and starts serving on a background thread. `metrics` must outlive the server.
  // Errors: Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(const Options& options,
                                                          MetricsRegistry& metrics);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  int port() const { return port_; }

  // Adds a named readiness check. Thread-safe.
  void AddReadinessCheck(std::string name, Check check);
  // While draining, /readyz answers 503 whatever the checks say. Thread-safe.
  void SetDraining(bool draining);
  // Evaluates readiness as /readyz does: OK or Unavailable naming the failing checks.
  absl::Status Ready() const;

  // Stops serving and joins the thread. Idempotent; also done by the destructor.
  void Stop();

 private:
  OpsServer(MetricsRegistry& metrics);
  std::string ReadinessBody(bool* ready) const;

  MetricsRegistry& metrics_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, Check>> checks_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;  // last: joined before the members above go away
};

}  // namespace eda::obs
