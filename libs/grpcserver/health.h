// File: health.h
// The standard gRPC health service (grpc.health.v1.Health) for our servers: Check, and Watch
// streams that end by themselves when the server shuts down. (gRPC 1.51's built-in service keeps
// Watch streams open through shutdown, so one watcher held every shutdown until its deadline.)
// With a readiness function, a service set SERVING answers NOT_SERVING while that function says
// not ready (the process's /readyz checks: its database, NATS), and Watch streams follow it.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace eda::grpcserver {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  // `ready` (may be empty: always ready) is called without locks held, on every Check and at
  // least every 250 ms of a Watch; it must be thread-safe and quick.
  explicit HealthService(std::function<bool()> ready = {}) : ready_(std::move(ready)) {}

  // Sets one service's status ("" is the server as a whole). Ignored after Shutdown().
  void Set(const std::string& service, bool serving);
  // Every service NOT_SERVING for good; open Watch streams send that and end.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;
  Status StatusOf(const std::string& service, bool ready) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool Ready() const { return !ready_ || ready_(); }

  const std::function<bool()> ready_;
  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;  // bumped on every change, for watchers
};

}  // namespace eda::grpcserver
