#include "libs/grpcserver/health.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace eda::grpcserver {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

void HealthService::Set(const std::string& service, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  auto [it, added] = serving_.emplace(service, serving);
  if (!added && it->second == serving) return;
  it->second = serving;
  ++changes_;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  for (auto& entry : serving_) entry.second = false;
  shut_down_ = true;
  ++changes_;
}

HealthService::Status HealthService::StatusOf(const std::string& service, bool ready) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second && ready ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext*, const HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  const bool ready = Ready();
  absl::MutexLock lock(&mu_);
  const Status status = StatusOf(request->service(), ready);
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::NOT_FOUND,
                        absl::StrCat("unknown service '", request->service(), "'"));
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context, const HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  // Sends the status now and on every change, until the client leaves or the server shuts down.
  bool first = true;
  Status sent = HealthCheckResponse::UNKNOWN;
  uint64_t seen = 0;
  for (;;) {
    if (!first) {
      // Wake on a change, or now and then to notice a client that went away or readiness that
      // changed.
      absl::MutexLock lock(&mu_);
      auto changed = [this, &seen]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return changes_ != seen; };
      mu_.AwaitWithTimeout(absl::Condition(&changed), absl::Milliseconds(250));
    }
    const bool ready = Ready();
    Status now;
    bool ending;
    {
      absl::MutexLock lock(&mu_);
      seen = changes_;
      now = StatusOf(request->service(), ready);
      ending = shut_down_;
    }
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    if (first || now != sent) {
      HealthCheckResponse update;
      update.set_status(now);
      if (!writer->Write(update)) return grpc::Status::CANCELLED;
      sent = now;
      first = false;
    }
    if (ending) return grpc::Status::OK;
  }
}

}  // namespace eda::grpcserver
