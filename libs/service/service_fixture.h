// File: service_fixture.h
// The GoogleTest fixture of a service binary's test: the binary started once for the suite as
// `make up` runs it (ServiceUnderTest: its own NATS user and PostgreSQL role), a NATS connection
// as admin to observe its streams, a stub per test, and Call() with a deadline and a W3C
// traceparent. Its log is printed when a test of the suite failed.
//
//   class StoresServiceTest : public eda::testing::ServiceFixture<storespb::StoresService> {
//    protected:
//     static void SetUpTestSuite() { StartService("STORES_BIN", "stores"); }
//   };
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "libs/service/service_testing.h"

namespace eda::testing {

inline constexpr char kTestTraceparent[] =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

template <typename GrpcService>
class ServiceFixture : public ::testing::Test {
 protected:
  using Stub = typename GrpcService::Stub;

  // For the suite's SetUpTestSuite: `binary_env` names the variable ctest sets to the binary,
  // `service` its name in the topology, `args` more of its command line.
  static void StartService(const std::string& binary_env, const std::string& service,
                           std::vector<std::string> args = {}) {
    auto started = ServiceUnderTest::Start(binary_env, service, std::move(args));
    ASSERT_TRUE(started.ok()) << started.status();
    service_ = started->release();
    auto nats = ConnectAsAdmin(SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = nats->release();
  }
  static void TearDownTestSuite() {
    if (service_ != nullptr && ::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      std::fprintf(stderr, "--- service log (tail) ---\n%s\n", service_->LogTail().c_str());
    }
    delete service_;
    delete nats_;
    service_ = nullptr;
    nats_ = nullptr;
  }

  void SetUp() override {
    stub_ = GrpcService::NewStub(
        grpc::CreateChannel(service_->grpc_target(), grpc::InsecureChannelCredentials()));
  }

  template <typename Req, typename Resp, typename Method>
  grpc::Status Call(Method method, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    ctx.set_wait_for_ready(true);  // through a restart's reconnect back-off
    ctx.AddMetadata("traceparent", kTestTraceparent);
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  // Every message on `subject` in `stream`, decoded, oldest first (the stream must exist).
  static std::vector<messaging::Message> Messages(const std::string& stream,
                                                  const std::string& subject) {
    auto messages = StreamMessages(*nats_, stream, subject);
    EXPECT_TRUE(messages.ok()) << messages.status();
    return messages.ok() ? *messages : std::vector<messaging::Message>();
  }

  // The messages named `name` on `subject` in `stream` whose payload (a T with an `id` field) is
  // about `id`, oldest first, waiting up to 10 s until there are `count` of them.
  template <typename T>
  static std::vector<std::pair<messaging::Message, T>> Events(const std::string& stream,
                                                              const std::string& subject,
                                                              const std::string& name,
                                                              const std::string& id,
                                                              size_t count = 1) {
    std::vector<std::pair<messaging::Message, T>> found;
    WaitUntil(
        [&] {
          found.clear();
          for (const messaging::Message& m : Messages(stream, subject)) {
            T payload;
            if (m.name == name && payload.ParseFromString(m.payload) && payload.id() == id) {
              found.emplace_back(m, payload);
            }
          }
          return found.size() >= count;
        },
        absl::Seconds(10));
    return found;
  }

  // Publishes a message as its producer would: straight to JetStream, a fresh message id (and
  // Nats-Msg-Id) each time unless `message_id` is given.
  static void Publish(const std::string& subject, const std::string& name,
                      const google::protobuf::Message& payload,
                      std::map<std::string, std::string> metadata = {},
                      const std::string& message_id = "") {
    messaging::Message m{.id = message_id.empty() ? NewUuid() : message_id,
                         .name = name,
                         .subject = subject,
                         .payload = payload.SerializeAsString(),
                         .occurred_at = absl::Now()};
    m.metadata = std::move(metadata);
    ASSERT_TRUE(
        PublishRaw(*nats_, subject, messaging::EncodeEnvelope(m), {{"Nats-Msg-Id", NewUuid()}})
            .ok());
  }

  // Sends a command as the saga does (a saga id of its own, replies to cosec's reply subject,
  // which the test's COSEC_REPLIES stream must take) and returns the reply's name (am.Success,
  // am.Failure, ...), or "" when none came within 10 s.
  static std::string SendCommand(const std::string& subject, const std::string& name,
                                 const google::protobuf::Message& command) {
    constexpr char kReplies[] = "mallbots.cosec.replies.CreateOrder";
    const std::string saga = NewUuid();
    Publish(subject, name, command,
            {{messaging::kCommandReplyChannel, kReplies},
             {messaging::kCommandSagaId, saga},
             {messaging::kCommandSagaName, "cosec.CreateOrder"}});
    std::string reply;
    WaitUntil(
        [&] {
          for (const messaging::Message& r : Messages("COSEC_REPLIES", kReplies)) {
            auto it = r.metadata.find("REPLY_SAGA_ID");
            if (it != r.metadata.end() && it->second == saga) reply = r.name;
          }
          return !reply.empty();
        },
        absl::Seconds(10));
    return reply;
  }

  static inline ServiceUnderTest* service_ = nullptr;
  static inline messaging::Connection* nats_ = nullptr;
  std::unique_ptr<Stub> stub_;
};

}  // namespace eda::testing
