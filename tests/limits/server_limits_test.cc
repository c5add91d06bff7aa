// The gRPC server's limits (libs/grpcserver/server.h, limits.h) on a real service binary
// (stores) against real PostgreSQL: the defaults take a hundred concurrent calls on one
// connection; calls beyond RPC_MAX_CALLS, requests beyond RPC_MAX_MESSAGE_BYTES and a client
// pinging too often are refused, and the service stays healthy for everyone else; a call that
// carries no deadline gets RPC_DEFAULT_DEADLINE. Slow calls are made slow for real: the test
// holds a lock on the stores table in the service's own database.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/pg/connection.h"
#include "libs/pg/transaction.h"
#include "libs/service/runtime.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/stores/stores_service.grpc.pb.h"

namespace eda {
namespace {

using Stub = storespb::StoresService::Stub;

class ServerLimitsTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args = {}) {
    auto service = testing::ServiceUnderTest::Start("STORES_BIN", "stores", std::move(args));
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    channel_ = grpc::CreateChannel(service_->grpc_target(), grpc::InsecureChannelCredentials());
    stub_ = storespb::StoresService::NewStub(channel_);
    storespb::CreateStoreRequest req;
    req.set_name("Limits");
    req.set_location("Level 0");
    storespb::CreateStoreResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    ASSERT_TRUE(stub_->CreateStore(&ctx, req, &resp).ok());
    store_ = resp.id();
  }

  grpc::Status GetStore(absl::Duration timeout = absl::Seconds(10), Stub* stub = nullptr) {
    storespb::GetStoreRequest req;
    req.set_id(store_);
    storespb::GetStoreResponse resp;
    grpc::ClientContext ctx;
    if (timeout != absl::InfiniteDuration()) {
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    }
    return (stub != nullptr ? stub : stub_.get())->GetStore(&ctx, req, &resp);
  }

  // The service answers its probes and a call.
  void ExpectHealthy() {
    httplib::Client http("127.0.0.1", service_->http_port());
    auto ready = http.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200) << ready->body;
    grpc::Status s = GetStore();
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // Holds an exclusive lock on the stores table (reads of it wait) until Release().
  void LockStores() {
    auto conn = pg::Connection::Open(service_->dsn());
    ASSERT_TRUE(conn.ok()) << conn.status();
    lock_conn_ = std::make_unique<pg::Connection>(*std::move(conn));
    ASSERT_TRUE(lock_conn_->Exec("BEGIN").ok());
    ASSERT_TRUE(lock_conn_->Exec("LOCK TABLE stores IN ACCESS EXCLUSIVE MODE").ok());
  }
  void Release() {
    if (lock_conn_ != nullptr) {
      ASSERT_TRUE(lock_conn_->Exec("COMMIT").ok());
    }
    lock_conn_.reset();
  }
  // Waits until `n` sessions of the service wait for the lock.
  bool Waiting(int n) {
    return testing::WaitUntil(
        [&] {
          // From a connection of its own: a transaction sees one snapshot of the statistics.
          auto conn = pg::Connection::Open(service_->dsn());
          if (!conn.ok()) return false;
          auto r = conn->Exec(
              "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
              "AND datname = current_database()");
          return r.ok() && r->Int(0, 0).value_or(0) >= n;
        },
        absl::Seconds(10));
  }

  void TearDown() override {
    if (lock_conn_ != nullptr) (void)lock_conn_->Exec("ROLLBACK");
  }

  std::unique_ptr<testing::ServiceUnderTest> service_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  std::string store_;
  std::unique_ptr<pg::Connection> lock_conn_;
};

TEST_F(ServerLimitsTest, TheDefaultsTakeAHundredConcurrentCallsOnOneConnection) {
  Start();
  std::atomic<int> ok{0};
  std::vector<std::string> failures;
  absl::Mutex mu;
  LockStores();  // every call waits, so all of them are in progress at once
  std::vector<std::thread> calls;
  for (int i = 0; i < 120; ++i) {
    calls.emplace_back([&] {
      grpc::Status s = GetStore(absl::Seconds(25));
      if (s.ok()) {
        ++ok;
      } else {
        absl::MutexLock lock(&mu);
        failures.push_back(s.error_message());
      }
    });
  }
  // The pool's connections (PG_POOL_SIZE's default) wait for the lock; the other calls wait
  // for a connection.
  EXPECT_TRUE(Waiting(service::Settings{}.pg_pool_size));
  absl::SleepFor(absl::Milliseconds(500));
  Release();
  for (std::thread& t : calls) t.join();
  EXPECT_EQ(ok.load(), 120) << (failures.empty() ? "" : failures[0]);
}

TEST_F(ServerLimitsTest, CallsBeyondTheLimitAreRefusedAndTheServiceStaysHealthy) {
  Start({"--rpc-max-calls=4"});
  LockStores();
  std::vector<grpc::Status> held(4);
  std::vector<std::thread> calls;
  for (int i = 0; i < 4; ++i) {
    calls.emplace_back([&, i] { held[i] = GetStore(absl::Seconds(20)); });
  }
  ASSERT_TRUE(Waiting(4));
  for (int i = 0; i < 6; ++i) {
    grpc::Status s = GetStore();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(s.error_message(),
              "the service is busy: 4 calls in progress, the most it takes at once; try again");
  }
  Release();
  for (std::thread& t : calls) t.join();
  for (const grpc::Status& s : held) EXPECT_TRUE(s.ok()) << s.error_message();
  ExpectHealthy();
}

TEST_F(ServerLimitsTest, ARequestLargerThanTheLimitIsRefused) {
  Start({"--rpc-max-message-bytes=65536"});
  storespb::CreateStoreRequest req;
  req.set_name(std::string(100000, 'x'));
  req.set_location("Level 0");
  storespb::CreateStoreResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Status s = stub_->CreateStore(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("larger than max"));
  ExpectHealthy();
}

TEST_F(ServerLimitsTest, ACallWithoutADeadlineGetsTheDefaultOne) {
  // One connection, held by a call waiting for the lock: the next call waits for the pool, which
  // would give up after 5 s; the default deadline of 1 s ends it first.
  Start({"--rpc-default-deadline=1s", "--pg-pool-size=1"});
  LockStores();
  grpc::Status held;
  std::thread holder([&] { held = GetStore(absl::Seconds(20)); });
  ASSERT_TRUE(Waiting(1));
  const absl::Time start = absl::Now();
  grpc::Status s = GetStore(absl::InfiniteDuration());
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "the call's deadline passed (the default of 1s: the call carried none)");
  EXPECT_LT(took, absl::Seconds(3)) << s.error_code() << " " << s.error_message();
  Release();
  holder.join();
  EXPECT_TRUE(held.ok()) << held.error_message();  // a deadline of its own: not cut short
  ExpectHealthy();
}

// A channel of its own whose client pings every `every` while a call is open.
std::unique_ptr<Stub> PingingStub(const std::string& target, absl::Duration every) {
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(every));
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, ms);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS, ms);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return storespb::StoresService::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

TEST_F(ServerLimitsTest, AClientThatPingsTooOftenIsDisconnectedAndOthersAreServed) {
  Start({"--rpc-keepalive-min-ping-interval=5s"});
  auto pinger = PingingStub(service_->grpc_target(), absl::Milliseconds(100));
  ASSERT_TRUE(GetStore(absl::Seconds(10), pinger.get()).ok());
  // A call held open (the stores table locked) while its client pings every 100 ms: its third
  // ping within the interval is one too many, and the server ends the connection (GOAWAY
  // too_many_pings), the call with it.
  LockStores();
  const absl::Time start = absl::Now();
  grpc::Status held = GetStore(absl::Seconds(20), pinger.get());
  EXPECT_EQ(held.error_code(), grpc::StatusCode::UNAVAILABLE) << held.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  Release();
  EXPECT_EQ(channel_->GetState(false), GRPC_CHANNEL_READY);
  ExpectHealthy();
}

}  // namespace
}  // namespace eda
