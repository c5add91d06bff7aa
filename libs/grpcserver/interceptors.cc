#include "libs/grpcserver/interceptors.h"

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/observability/logging.h"
#include "libs/observability/metrics.h"
#include "libs/observability/trace_context.h"

namespace eda::grpcserver {
namespace {

using grpc::experimental::InterceptionHookPoints;

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "CANCELLED";
    case grpc::UNKNOWN:
      return "UNKNOWN";
    case grpc::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::ABORTED:
      return "ABORTED";
    case grpc::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::INTERNAL:
      return "INTERNAL";
    case grpc::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

struct Instruments {
  explicit Instruments(obs::MetricsRegistry& m)
      : started(m.Counter("grpc_server_started_total", "RPCs started on the server.")),
        handled(m.Counter("grpc_server_handled_total",
                          "RPCs completed on the server, regardless of success or failure.")),
        seconds(m.Histogram("grpc_server_handling_seconds",
                            "Time from receiving an RPC's metadata to sending its status.")) {}
  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& seconds;
};

constexpr int kCodes = grpc::UNAUTHENTICATED + 1;

// One method's names and series, looked up once (not per call: each lookup builds and hashes a
// label map under the family's lock).
class Method {
 public:
  Method(absl::string_view path, Instruments& instruments) : instruments_(instruments) {
    absl::string_view method = path;  // "/package.Service/Method"
    if (!method.empty() && method[0] == '/') method.remove_prefix(1);
    const size_t slash = method.find('/');
    service = std::string(method.substr(0, slash));
    name = slash == absl::string_view::npos ? "" : std::string(method.substr(slash + 1));
    started = &instruments.started.Add({{"grpc_service", service}, {"grpc_method", name}});
    seconds = &instruments.seconds.Add({{"grpc_service", service}, {"grpc_method", name}},
                                       obs::MetricsRegistry::LatencyBuckets());
  }

  prometheus::Counter& Handled(grpc::StatusCode code) {
    const int i = code >= 0 && code < kCodes ? code : grpc::UNKNOWN;
    prometheus::Counter* counter = handled_[i].load(std::memory_order_acquire);
    if (counter == nullptr) {  // the family returns the same series to a racing first call
      counter =
          &instruments_.handled.Add({{"grpc_service", service},
                                     {"grpc_method", name},
                                     {"grpc_code", CodeName(static_cast<grpc::StatusCode>(i))}});
      handled_[i].store(counter, std::memory_order_release);
    }
    return *counter;
  }

  std::string service;
  std::string name;
  prometheus::Counter* started;
  prometheus::Histogram* seconds;

 private:
  Instruments& instruments_;
  std::array<std::atomic<prometheus::Counter*>, kCodes> handled_{};
};

class ObservabilityInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ObservabilityInterceptor(Method& method) : method_(method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      start_ = absl::Now();
      method_.started->Increment();
      std::optional<obs::SpanContext> parent =
          obs::ExtractTrace(*methods->GetRecvInitialMetadata());
      span_ = parent.has_value() ? parent->NewChild() : obs::SpanContext::NewRoot();
      // The synchronous server runs these hooks and the handler on one thread, so the handler
      // sees the span as current; remember the thread to restore only that one.
      previous_ = obs::SetCurrentSpan(span_);
      thread_ = std::this_thread::get_id();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
      method_.Handled(status.error_code()).Increment();
      method_.seconds->Observe(seconds);
      std::optional<obs::ScopedSpan> scope;
      if (thread_ != std::this_thread::get_id() && span_.has_value()) scope.emplace(*span_);
      // Health probes and reflection come every few seconds: keep them out of INFO.
      const bool infrastructure = absl::StartsWith(method_.service, "grpc.");
      log::Level level = infrastructure ? log::Level::kDebug : log::Level::kInfo;
      if (status.error_code() == grpc::INTERNAL || status.error_code() == grpc::UNKNOWN ||
          status.error_code() == grpc::DATA_LOSS) {
        level = log::Level::kError;
      }
      if (log::Enabled(level)) {
        log::Line line(level, /*frequent=*/level < log::Level::kWarn);
        line << "rpc " << method_.name << KV("grpc_service", method_.service)
             << KV("grpc_method", method_.name) << KV("grpc_code", CodeName(status.error_code()))
             << KV("duration_ms", seconds * 1000.0);
        if (!status.ok()) line << KV("error", status.error_message());
      }
      if (thread_ == std::this_thread::get_id()) {
        obs::SetCurrentSpan(std::move(previous_));
        thread_ = std::thread::id();
      }
    }
    methods->Proceed();
  }

 private:
  Method& method_;
  absl::Time start_ = absl::Now();
  std::optional<obs::SpanContext> span_;
  std::optional<obs::SpanContext> previous_;
  std::thread::id thread_;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(obs::MetricsRegistry& metrics) : instruments_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const absl::string_view path = info->method() == nullptr ? "" : info->method();
    {
      absl::ReaderMutexLock lock(&mu_);
      if (auto it = methods_.find(path); it != methods_.end()) {
        return new ObservabilityInterceptor(*it->second);
      }
    }
    absl::MutexLock lock(&mu_);
    std::unique_ptr<Method>& method = methods_[path];
    if (method == nullptr) method = std::make_unique<Method>(path, instruments_);
    return new ObservabilityInterceptor(*method);
  }

 private:
  Instruments instruments_;
  absl::Mutex mu_;
  // One entry per method path the server's calls came with, as there is one series for each.
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> methods_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewObservabilityInterceptorFactory(obs::MetricsRegistry& metrics) {
  return std::make_unique<Factory>(metrics);
}

}  // namespace eda::grpcserver
