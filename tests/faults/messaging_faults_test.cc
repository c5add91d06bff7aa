// The messaging core under real faults, each injected for real against a PostgreSQL and a
// nats-server of the test's own: what was lost and what was duplicated (both must be nothing).
//
// A consumer here is wired as the service runtime wires one: a transactional handler on a pool,
// paused while the database's health probe says it does not answer.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/consumer.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "libs/observability/metrics.h"
#include "libs/outbox/inbox.h"
#include "libs/outbox/relay.h"
#include "libs/outbox/schema.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/pg/health.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"

namespace eda {
namespace {

class MessagingFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pg = testing::PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
    auto dsn = pg_->CreateDatabase("faults");
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    dsn_ = *dsn;
    auto conn = pg::Connection::Open(dsn_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE(pg::Migrate(*conn, outbox::PlatformMigrations()).ok());
    ASSERT_TRUE(conn->Exec("CREATE TABLE effects (msg_id text, body text)").ok());
    ASSERT_TRUE(conn->Exec("CREATE TABLE business (id text PRIMARY KEY)").ok());
    auto pool = pg::Pool::Create({.dsn = dsn_, .size = 4});
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    auto nats_server = testing::NatsServer::Start();
    ASSERT_TRUE(nats_server.ok()) << nats_server.status();
    nats_server_ = *std::move(nats_server);
    auto nats = messaging::Connection::Connect({.url = nats_server_->url()});
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = *std::move(nats);
    ASSERT_TRUE(
        messaging::EnsureStream(nats_->js(), {.name = "FAULTS", .subjects = {"faults.>"}}).ok());
    ASSERT_TRUE(messaging::EnsureStream(nats_->js(), messaging::DeadLetterStream(), false).ok());
  }

  void TearDown() override {
    consumer_.reset();
    relay_.reset();
    probe_.reset();
  }

  void StartRelay() {
    relay_ = outbox::Relay::Start({.pg_dsn = dsn_,
                                   .nats = {.url = nats_server_->url()},
                                   .poll_interval = absl::Milliseconds(200),
                                   .initial_backoff = absl::Milliseconds(20),
                                   .max_backoff = absl::Milliseconds(500)},
                                  metrics_);
  }

  // A producer's unit of work: a business row and its message, committed together.
  absl::Status Produce(int n) {
    messaging::Message m{.id = NewUuid(),
                         .name = "faults.Thing",
                         .subject = "faults.events.Thing",
                         .payload = absl::StrCat(n),
                         .occurred_at = absl::Now()};
    m.aggregate_id = absl::StrCat("thing-", n % 7);  // a few aggregates, several rows each
    EDA_ASSIGN_OR_RETURN(outbox::UnitOfWork uow, outbox::UnitOfWork::Begin(*pool_));
    EDA_RETURN_IF_ERROR(uow.tx().Exec("INSERT INTO business (id) VALUES ($1)", {m.id}).status());
    EDA_RETURN_IF_ERROR(uow.Publish(m));
    return uow.Commit();
  }

  // Relay and consumer running, a producer committing every 20 ms: `fault` is injected once
  // 20 messages went through; then the producer stops and everything committed must have had
  // its effect exactly once, with no dead letter. Reports what was lost and duplicated.
  void UnderASteadyProducer(const std::function<void()>& fault) {
    StartRelay();
    StartConsumer(absl::ZeroDuration());
    std::atomic<int> committed{0};
    std::atomic<int> next{0};
    std::jthread producer([&](std::stop_token token) {
      while (!token.stop_requested()) {
        if (Produce(next++).ok()) ++committed;
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
    ASSERT_TRUE(testing::WaitUntil([&] { return Query("SELECT count(*) FROM effects") >= 20; },
                                   absl::Seconds(20)));
    fault();
    absl::SleepFor(absl::Seconds(1));
    producer.request_stop();
    producer.join();
    const int64_t expected = Query("SELECT count(*) FROM business");
    EXPECT_GE(expected, committed.load());  // a commit whose answer was lost may count too
    testing::WaitUntil([&] { return Query("SELECT count(*) FROM effects") >= expected; },
                       absl::Seconds(90));
    const int64_t lost = Query(
        "SELECT count(*) FROM business b WHERE NOT EXISTS "
        "(SELECT 1 FROM effects e WHERE e.msg_id = b.id)");
    const int64_t duplicated = Query("SELECT count(*) - count(DISTINCT msg_id) FROM effects");
    RecordProperty("committed", static_cast<int>(expected));
    RecordProperty("lost", static_cast<int>(lost));
    RecordProperty("duplicated", static_cast<int>(duplicated));
    std::printf("%s: %lld committed, %lld lost, %lld duplicated, %llu dead letters\n",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                static_cast<long long>(expected), static_cast<long long>(lost),
                static_cast<long long>(duplicated), static_cast<unsigned long long>(DeadLetters()));
    EXPECT_EQ(lost, 0);
    EXPECT_EQ(duplicated, 0);
    EXPECT_EQ(DeadLetters(), 0u);
    EXPECT_GT(expected, 20);
  }

  // The runtime's defaults: 5 attempts, retries from 200 ms, waits capped at 5 s.
  void StartConsumer(absl::Duration per_message) {
    probe_ = pg::HealthProbe::Start({.dsn = dsn_, .every = absl::Milliseconds(500)});
    messaging::PullConsumerOptions options{
        .service = "faults",
        .consumer = {.stream = "FAULTS", .durable = "faults", .filter_subject = "faults.>"},
        .batch = 16,
        .ready = [this] { return probe_->healthy(); }};
    auto handler = [per_message](outbox::UnitOfWork& uow, const messaging::Message& m) {
      absl::SleepFor(per_message);
      return uow.tx()
          .Exec("INSERT INTO effects (msg_id, body) VALUES ($1, $2)", {m.id, m.payload})
          .status();
    };
    auto consumer = messaging::PullConsumer::Start(
        *nats_, options, outbox::TransactionalHandler(*pool_, "faults", handler), metrics_);
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    consumer_ = *std::move(consumer);
  }

  void Publish(int n) {
    for (int i = 0; i < n; ++i) {
      messaging::Message m{.id = NewUuid(),
                           .name = "faults.Thing",
                           .subject = "faults.events.Thing",
                           .payload = absl::StrCat(i),
                           .occurred_at = absl::Now()};
      ASSERT_TRUE(testing::PublishRaw(*nats_, m.subject, messaging::EncodeEnvelope(m),
                                      {{"Nats-Msg-Id", m.id}})
                      .ok());
    }
  }

  // -1 while the database does not answer.
  int64_t Query(const std::string& sql) {
    auto conn = pg::Connection::Open(dsn_);
    if (!conn.ok()) return -1;
    auto r = conn->Exec(sql);
    return r.ok() ? r->Int(0, 0).value_or(-1) : -1;
  }

  uint64_t DeadLetters() {
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = jsErrCode(0);
    if (js_GetStreamInfo(&info, nats_->js(), "DEADLETTER", nullptr, &jerr) != NATS_OK) return 0;
    const uint64_t n = info->State.Msgs;
    jsStreamInfo_Destroy(info);
    return n;
  }

  double Metric(const std::string& series) {
    return testing::MetricValue(metrics_.Exposition(), series);
  }

  std::unique_ptr<testing::PostgresServer> pg_;
  std::unique_ptr<testing::NatsServer> nats_server_;
  std::string dsn_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<messaging::Connection> nats_;
  obs::MetricsRegistry metrics_;
  std::unique_ptr<pg::HealthProbe> probe_;
  std::unique_ptr<outbox::Relay> relay_;
  std::unique_ptr<messaging::PullConsumer> consumer_;
};

// 200 messages in flight; PostgreSQL stops for 20 s (longer than five deliveries' worth of
// retries), then starts again: every message has its effect once, none is dead-lettered.
TEST_F(MessagingFaultsTest, PostgresOutageDeadLettersNothing) {
  StartConsumer(absl::Milliseconds(20));  // ~4 s for all 200: most are still waiting when it stops
  Publish(200);
  ASSERT_TRUE(testing::WaitUntil([&] { return Query("SELECT count(*) FROM effects") >= 20; },
                                 absl::Seconds(20)));
  pg_->Stop();
  ASSERT_TRUE(testing::WaitUntil([&] { return !probe_->healthy(); }, absl::Seconds(5)));
  EXPECT_THAT(std::string(probe_->status().message()),
              ::testing::HasSubstr("the database does not answer"));
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Metric("messaging_consumer_paused{consumer=\"faults\"}") == 1; },
      absl::Seconds(5)));
  absl::SleepFor(absl::Seconds(20));
  ASSERT_TRUE(pg_->Restart().ok());
  EXPECT_TRUE(testing::WaitUntil([&] { return Query("SELECT count(*) FROM effects") == 200; },
                                 absl::Seconds(60)))
      << Query("SELECT count(*) FROM effects") << " effects\n"
      << metrics_.Exposition();
  EXPECT_TRUE(testing::WaitUntil([&] { return probe_->healthy(); }, absl::Seconds(5)));
  EXPECT_EQ(Query("SELECT count(DISTINCT msg_id) FROM effects"), 200);  // no duplicates
  EXPECT_EQ(Query("SELECT count(DISTINCT body) FROM effects"), 200);
  EXPECT_EQ(DeadLetters(), 0u);
  EXPECT_EQ(Query("SELECT count(*) FROM inbox_attempts WHERE attempts > 0"), 0);
  EXPECT_EQ(Metric("messaging_consumer_paused{consumer=\"faults\"}"), 0);
}

TEST_F(MessagingFaultsTest, NatsServerRestart) {
  UnderASteadyProducer([&] { ASSERT_TRUE(nats_server_->Restart().ok()); });
}

TEST_F(MessagingFaultsTest, NatsUnreachableFor30Seconds) {
  UnderASteadyProducer([&] {
    nats_server_->Stop();
    absl::SleepFor(absl::Seconds(30));  // the producer keeps committing to the outbox
    ASSERT_TRUE(nats_server_->Restart().ok());
  });
}

TEST_F(MessagingFaultsTest, PostgresRestart) {
  UnderASteadyProducer([&] { ASSERT_TRUE(pg_->Restart().ok()); });
}

}  // namespace
}  // namespace eda
