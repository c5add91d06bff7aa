// Tests of libs/grpcserver through a small echo service on a real gRPC server (loopback, port 0).
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.pb.h"
#include "gtest/gtest.h"
#include "libs/grpcserver/server.h"
#include "libs/grpcserver/status.h"
#include "libs/observability/logging.h"
#include "libs/observability/metrics.h"
#include "libs/observability/ops_server.h"
#include "libs/observability/trace_context.h"
#include "libs/testing/harness.h"
#include "proto/testing/echo_service.grpc.pb.h"

namespace eda::grpcserver {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::mallbots::testing::EchoRequest;
using ::mallbots::testing::EchoResponse;
using ::mallbots::testing::EchoService;
using ::testing::HasSubstr;

constexpr char kEchoName[] = "mallbots.testing.EchoService";

// Written like the services' handlers (EDA_RPC): it sees its call's deadline and cancellation
// through CallScope.
class EchoImpl final : public EchoService::Service {
 public:
  EDA_RPC_DECLARE(::mallbots::testing, Echo)
  std::atomic<int> started{0}, completed{0}, saw_cancel{0};
};

EDA_RPC(EchoImpl, ::mallbots::testing, Echo) {
  ++started;
  const absl::Time until = absl::Now() + absl::Milliseconds(req->delay_ms());
  while (absl::Now() < until) {
    if (absl::Status s = CallScope::Check(); !s.ok()) {
      ++saw_cancel;
      return ToGrpcStatus(s);
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  if (!req->fail_code().empty()) {
    absl::StatusCode code = absl::StatusCode::kUnknown;
    if (req->fail_code() == "NOT_FOUND") code = absl::StatusCode::kNotFound;
    if (req->fail_code() == "INVALID_ARGUMENT") code = absl::StatusCode::kInvalidArgument;
    return ToGrpcStatus(absl::Status(code, "echo failed as asked"));
  }
  resp->set_message(req->message());
  if (const obs::SpanContext* span = obs::CurrentSpan()) resp->set_trace_id(span->TraceIdHex());
  ++completed;
  return grpc::Status::OK;
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    auto ops = obs::OpsServer::Start({.host = "127.0.0.1", .port = 0}, metrics_);
    ASSERT_TRUE(ops.ok()) << ops.status();
    ops_ = *std::move(ops);
    options.address = "127.0.0.1:0";
    auto server = Server::Start(options, {{&echo_, kEchoName}}, metrics_, ops_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  grpc::Status Echo(const EchoRequest& request, EchoResponse* response,
                    absl::Duration timeout = absl::Seconds(10),
                    const std::string& traceparent = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    if (!traceparent.empty()) ctx.AddMetadata("traceparent", traceparent);
    return EchoService::NewStub(channel_)->Echo(&ctx, request, response);
  }

  HealthCheckResponse::ServingStatus Health(const std::string& service, grpc::Status* status) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    *status = Health::NewStub(channel_)->Check(&ctx, req, &resp);
    return resp.status();
  }

  // A health Watch of the echo service on `ctx`.
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> WatchEcho(grpc::ClientContext* ctx) {
    HealthCheckRequest req;
    req.set_service(kEchoName);
    return Health::NewStub(channel_)->Watch(ctx, req);
  }

  int ReadyzStatus() {
    httplib::Client client("127.0.0.1", ops_->port());
    auto res = client.Get("/readyz");
    return res ? res->status : -1;
  }

  obs::MetricsRegistry metrics_;
  EchoImpl echo_;
  std::unique_ptr<obs::OpsServer> ops_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(GrpcServerTest, ServesCallsAndReportsHealthPerService) {
  StartServer();
  EchoRequest req;
  req.set_message("hello");
  EchoResponse resp;
  ASSERT_TRUE(Echo(req, &resp).ok());
  EXPECT_EQ(resp.message(), "hello");

  grpc::Status st;
  EXPECT_EQ(Health(kEchoName, &st), HealthCheckResponse::SERVING);
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(Health("", &st), HealthCheckResponse::SERVING);
  Health("no.such.Service", &st);
  EXPECT_EQ(st.error_code(), grpc::NOT_FOUND);
  server_->SetServing(false);
  EXPECT_EQ(Health(kEchoName, &st), HealthCheckResponse::NOT_SERVING);
}

TEST_F(GrpcServerTest, HealthFollowsTheReadinessChecks) {
  StartServer();
  std::atomic<bool> database_up{true};
  ops_->AddReadinessCheck("postgres", [&database_up] {
    return database_up ? absl::OkStatus() : absl::UnavailableError("down");
  });
  grpc::Status st;
  EXPECT_EQ(Health(kEchoName, &st), HealthCheckResponse::SERVING);

  // A watcher sees every change, within the watch's 250 ms poll.
  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  auto watch = WatchEcho(&watch_ctx);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  database_up = false;
  EXPECT_EQ(Health(kEchoName, &st), HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(Health("", &st), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(ReadyzStatus(), 503);
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);

  database_up = true;
  EXPECT_EQ(Health(kEchoName, &st), HealthCheckResponse::SERVING);
  EXPECT_EQ(ReadyzStatus(), 200);
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);
  watch_ctx.TryCancel();
  (void)watch->Finish();
}

TEST_F(GrpcServerTest, StatusCodesAndMessagesReachTheClient) {
  StartServer();
  EchoRequest req;
  req.set_fail_code("NOT_FOUND");
  EchoResponse resp;
  grpc::Status st = Echo(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "echo failed as asked");
  EXPECT_EQ(FromGrpcStatus(st).code(), absl::StatusCode::kNotFound);
}

TEST_F(GrpcServerTest, HandlerRunsInTheCallersTrace) {
  StartServer();
  EchoRequest req;
  EchoResponse resp;
  ASSERT_TRUE(
      Echo(req, &resp, absl::Seconds(10), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
          .ok());
  EXPECT_EQ(resp.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  // Without a traceparent the call starts a new trace.
  EchoResponse fresh;
  ASSERT_TRUE(Echo(req, &fresh).ok());
  EXPECT_EQ(fresh.trace_id().size(), 32u);
  EXPECT_NE(fresh.trace_id(), resp.trace_id());
  // The client helper forwards the current span's trace.
  obs::ScopedSpan scope(obs::SpanContext::NewRoot());
  grpc::ClientContext ctx;
  obs::InjectTrace(ctx);
  EchoResponse propagated;
  ASSERT_TRUE(EchoService::NewStub(channel_)->Echo(&ctx, req, &propagated).ok());
  EXPECT_EQ(propagated.trace_id(), scope.span().TraceIdHex());
}

TEST_F(GrpcServerTest, ClientDeadlineCancelsTheHandler) {
  StartServer();
  EchoRequest req;
  req.set_delay_ms(5000);
  EchoResponse resp;
  const absl::Time start = absl::Now();
  grpc::Status st = Echo(req, &resp, absl::Milliseconds(100));
  EXPECT_EQ(st.error_code(), grpc::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(testing::WaitUntil([&] { return echo_.saw_cancel == 1; }, absl::Seconds(2)));
  EXPECT_EQ(echo_.completed, 0);
}

TEST_F(GrpcServerTest, GracefulShutdownDrainsThenFinishesInFlightCalls) {
  StartServer({.shutdown_timeout = absl::Seconds(10), .drain_delay = absl::Seconds(2)});
  // A watcher sees the health change as it happens.
  grpc::ClientContext watch_ctx;
  auto watch = WatchEcho(&watch_ctx);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);
  EXPECT_EQ(ReadyzStatus(), 200);

  // An in-flight call that outlasts the drain delay.
  grpc::Status slow_status;
  EchoResponse slow_resp;
  std::jthread slow([&] {
    EchoRequest req;
    req.set_message("slow");
    req.set_delay_ms(2500);
    slow_status = Echo(req, &slow_resp);
  });
  ASSERT_TRUE(testing::WaitUntil([&] { return echo_.started == 1; }, absl::Seconds(5)));

  absl::Duration shutdown_took;
  std::jthread stopper([&] {
    const absl::Time start = absl::Now();
    server_->Shutdown();
    shutdown_took = absl::Now() - start;
  });
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  // Then the stream ends by itself, so a watcher does not hold the shutdown.
  EXPECT_FALSE(watch->Read(&update));
  EXPECT_TRUE(watch->Finish().ok());
  // During the drain delay: not ready, but still answering.
  grpc::Status st;
  EXPECT_EQ(Health(kEchoName, &st), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(ReadyzStatus(), 503);

  slow.join();
  stopper.join();
  EXPECT_LT(shutdown_took, absl::Seconds(6)) << "held until the 10 s deadline";
  EXPECT_TRUE(slow_status.ok()) << slow_status.error_message();
  EXPECT_EQ(slow_resp.message(), "slow");

  // After shutdown no new call is taken.
  EchoResponse resp;
  EXPECT_EQ(Echo(EchoRequest(), &resp, absl::Seconds(2)).error_code(), grpc::UNAVAILABLE);
}

TEST_F(GrpcServerTest, ShutdownDeadlineCancelsStragglers) {
  StartServer({.shutdown_timeout = absl::Milliseconds(200)});
  grpc::Status st;
  std::jthread stuck([&] {
    EchoRequest req;
    req.set_delay_ms(20000);
    EchoResponse resp;
    st = Echo(req, &resp, absl::Seconds(30));
  });
  ASSERT_TRUE(testing::WaitUntil([&] { return echo_.started == 1; }, absl::Seconds(5)));
  const absl::Time start = absl::Now();
  server_->Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  stuck.join();
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(testing::WaitUntil([&] { return echo_.saw_cancel == 1; }, absl::Seconds(2)));
}

TEST_F(GrpcServerTest, ReflectionListsTheServices) {
  StartServer();
  grpc::ClientContext ctx;
  const grpc::internal::RpcMethod method(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING);
  std::unique_ptr<grpc::ClientReaderWriter<grpc::reflection::v1::ServerReflectionRequest,
                                           grpc::reflection::v1::ServerReflectionResponse>>
      stream(grpc::internal::ClientReaderWriterFactory<
             grpc::reflection::v1::ServerReflectionRequest,
             grpc::reflection::v1::ServerReflectionResponse>::Create(channel_.get(), method, &ctx));
  grpc::reflection::v1::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  stream->WritesDone();
  grpc::reflection::v1::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::vector<std::string> names;
  for (const auto& s : resp.list_services_response().service()) names.push_back(s.name());
  EXPECT_THAT(names, ::testing::Contains(kEchoName));
  EXPECT_THAT(names, ::testing::Contains("grpc.health.v1.Health"));
}

std::string RunPromtool(const std::string& exposition, int* exit_code) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/metrics.txt";
  std::FILE* f = std::fopen(file.c_str(), "w");
  std::fwrite(exposition.data(), 1, exposition.size(), f);
  std::fclose(f);
  std::FILE* p = popen(("promtool check metrics < " + file + " 2>&1").c_str(), "r");
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  const int status = pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST_F(GrpcServerTest, CallMetricsAreExposedAndPassPromtool) {
  StartServer();
  EchoRequest ok_req;
  EchoRequest bad_req;
  bad_req.set_fail_code("INVALID_ARGUMENT");
  EchoResponse resp;
  ASSERT_TRUE(Echo(ok_req, &resp).ok());
  ASSERT_TRUE(Echo(ok_req, &resp).ok());
  ASSERT_FALSE(Echo(bad_req, &resp).ok());

  httplib::Client client("127.0.0.1", ops_->port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  const std::string& text = res->body;
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Echo\","
                              "grpc_service=\"mallbots.testing.EchoService\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("grpc_server_handled_total{grpc_code=\"INVALID_ARGUMENT\","
                        "grpc_method=\"Echo\",grpc_service=\"mallbots.testing.EchoService\"} 1"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_count{grpc_method=\"Echo\","
                              "grpc_service=\"mallbots.testing.EchoService\"} 3"));
  int code = -1;
  std::string lint = RunPromtool(text, &code);
  EXPECT_EQ(code, 0) << lint << "\n" << text;
}

TEST_F(GrpcServerTest, PortCollisionFailsInsteadOfSharing) {
  StartServer();
  EchoImpl other;
  auto second = Server::Start({.address = "127.0.0.1:" + std::to_string(server_->port())},
                              {{&other, kEchoName}}, metrics_, nullptr);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(GrpcServerTest, BadTlsConfigurationIsRejected) {
  auto server = Server::Start({.address = "127.0.0.1:0", .tls_cert_file = "/nonexistent.pem"},
                              {{&echo_, kEchoName}}, metrics_, nullptr);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eda::grpcserver
