// File: server.h
// Assembles a service's gRPC server: its services, the standard health service (per-service
// SERVING / NOT_SERVING, and NOT_SERVING whenever the ops server's readiness checks fail, as
// /readyz does), server reflection, and interceptors that log each call, count it by
// method and code, time it, and make the caller's W3C trace context the handler's current span.
//
// Graceful shutdown (Shutdown(), e.g. on SIGTERM): health and /readyz flip to not-ready first,
// then, after the configured drain delay, the server stops taking calls, lets in-flight calls
// finish until the shutdown deadline, cancels what is left, and returns.
//
// Handlers are synchronous (gRPC's thread pool); a handler should return early once the client
// went away or its deadline passed: EDA_RPC runs it in a CallScope (libs/common/call_scope.h),
// which the pool and the unit of work honour, and long handlers check between steps.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "libs/grpcserver/limits.h"

namespace grpc {
class Server;
class Service;
class ServerContext;
}  // namespace grpc

namespace eda::obs {
class MetricsRegistry;
class OpsServer;
}  // namespace eda::obs

namespace eda::grpcserver {

class HealthService;

struct ServerOptions {
  std::string address = "0.0.0.0:9000";  // port 0 picks a free port; see Server::port()
  absl::Duration shutdown_timeout = absl::Seconds(30);  // in-flight calls get this long
  absl::Duration drain_delay = absl::ZeroDuration();    // not-ready but still serving, first
  std::string tls_cert_file;                            // both set: TLS; both empty: plaintext
  std::string tls_key_file;
  // What clients may send and do (limits.h for the calls): a request larger than
  // `max_message_bytes` is refused with RESOURCE_EXHAUSTED by gRPC; one connection carries at
  // most `max_concurrent_streams` calls at once (HTTP/2: more wait in the client); the server
  // pings a connection that has a call open and has been quiet for `keepalive_time`, and closes
  // it when no answer comes within `keepalive_timeout` (a client gone with calls in progress); a
  // client pinging more often than `keepalive_min_ping_interval` (or with no call open) is told
  // too_many_pings and disconnected at its third such ping.
  int max_message_bytes = 4 << 20;
  int max_concurrent_streams = 1000;
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  absl::Duration keepalive_min_ping_interval = absl::Seconds(10);
  // The limits of the process's API calls (limits.h), set by the server of the service's API;
  // another server of the process (the admin API) leaves them as they are.
  std::optional<CallLimits> calls;
};

struct ServiceEntry {
  grpc::Service* service;  // not owned; must outlive the Server
  std::string name;        // full service name for health, e.g. "storespb.StoresService"
};

class Server final {
 public:
  // Builds and starts the server. `ops` (may be null; outlives the server) is told to drain on
  // shutdown, and its readiness checks decide whether health says SERVING.
  // Errors: Unavailable when the address cannot be bound; InvalidArgument for a bad TLS setup.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       std::vector<ServiceEntry> services,
                                                       obs::MetricsRegistry& metrics,
                                                       obs::OpsServer* ops);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }

  // Sets every registered service (and the overall "" entry) SERVING or NOT_SERVING.
  void SetServing(bool serving);

  // Graceful shutdown as described above. Idempotent; blocks until the server has stopped.
  void Shutdown();

 private:
  Server() = default;

  ServerOptions options_;
  std::vector<std::string> service_names_;
  obs::OpsServer* ops_ = nullptr;
  int port_ = 0;
  std::unique_ptr<HealthService> health_;  // declared before server_: outlives it
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  absl::Notification stopped_;
};

}  // namespace eda::grpcserver
