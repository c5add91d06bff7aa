// File: interceptors.h
// The server interceptor behind every call: trace context in, one log line and metrics out.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace eda::obs {
class MetricsRegistry;
}  // namespace eda::obs

namespace eda::grpcserver {

// Metrics (Prometheus names as in go-grpc-prometheus):
//   grpc_server_started_total{grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_service,grpc_method}  (histogram)
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewObservabilityInterceptorFactory(obs::MetricsRegistry& metrics);

}  // namespace eda::grpcserver
