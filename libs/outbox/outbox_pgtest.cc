// The outbox -> relay -> JetStream -> consumer -> inbox pipeline against a real PostgreSQL and
// a real nats-server, including failures: duplicates, relay crashes, NATS outages, poison
// messages, retries and dead letters.
#include <sched.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/messaging/consumer.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "libs/observability/metrics.h"
#include "libs/outbox/commands.h"
#include "libs/outbox/inbox.h"
#include "libs/outbox/relay.h"
#include "libs/outbox/schema.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/pg/migrations.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "libs/testing/tcp_proxy.h"

namespace eda::outbox {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dsn = testing::SharedPostgres().CreateDatabase();
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    dsn_ = *dsn;
    auto conn = pg::Connection::Open(dsn_);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(pg::Migrate(*conn, PlatformMigrations()).ok());
    ASSERT_TRUE(
        conn->Exec("CREATE TABLE effects (n bigserial, msg_id text, name text, body text)").ok());
    ASSERT_TRUE(conn->Exec("CREATE TABLE business (id text PRIMARY KEY)").ok());
    auto pool = pg::Pool::Create({.dsn = dsn_, .size = 8});
    ASSERT_TRUE(pool.ok());
    pool_ = *std::move(pool);
    auto nats = messaging::Connection::Connect({.url = testing::SharedNats().url()});
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = *std::move(nats);
    tag_ = RandomHex(4);
    stream_ = absl::StrCat("T", tag_);
    subject_ = absl::StrCat("t", tag_, ".events.Thing");
    ASSERT_TRUE(messaging::EnsureStream(
                    nats_->js(), {.name = stream_, .subjects = {absl::StrCat("t", tag_, ".>")}})
                    .ok());
    ASSERT_TRUE(messaging::EnsureStream(nats_->js(), messaging::DeadLetterStream(), false).ok());
  }
  void TearDown() override {
    consumer_.reset();
    relay_.reset();
  }

  messaging::Message NewMessage(const std::string& body, const std::string& subject = "") {
    messaging::Message m;
    m.id = NewUuid();
    m.name = "test.Thing";
    m.subject = subject.empty() ? subject_ : subject;
    m.payload = body;
    m.occurred_at = absl::Now();
    return m;
  }

  // A producer's unit of work: a business row and one outbox row.
  absl::Status Produce(const messaging::Message& m) {
    EDA_ASSIGN_OR_RETURN(UnitOfWork uow, UnitOfWork::Begin(*pool_));
    EDA_RETURN_IF_ERROR(uow.tx().Exec("INSERT INTO business (id) VALUES ($1)", {m.id}).status());
    EDA_RETURN_IF_ERROR(uow.Publish(m));
    return uow.Commit();
  }

  // Produces a message every `every` until the returned thread is stopped (a jthread: if an
  // assertion returns early, its destructor stops and joins it); counts the committed ones.
  std::jthread ProduceEvery(absl::Duration every, std::atomic<int>& produced) {
    return std::jthread([this, every, &produced](std::stop_token token) {
      while (!token.stop_requested()) {
        if (Produce(NewMessage(absl::StrCat(produced.load()))).ok()) ++produced;
        absl::SleepFor(every);
      }
    });
  }

  void StartRelay(absl::Duration poll = absl::Seconds(1),
                  absl::Duration isolate_after = absl::ZeroDuration()) {
    relay_ = Relay::Start({.pg_dsn = dsn_,
                           .nats = {.url = testing::SharedNats().url()},
                           .poll_interval = poll,
                           .initial_backoff = absl::Milliseconds(20),
                           .max_backoff = absl::Milliseconds(500),
                           .isolate_after = isolate_after},
                          metrics_);
  }

  // The consumer records each handled message in `effects`.
  MessageHandler RecordEffect() {
    return [](UnitOfWork& uow, const messaging::Message& m) {
      return uow.tx()
          .Exec("INSERT INTO effects (msg_id, name, body) VALUES ($1, $2, $3)",
                {m.id, m.name, m.payload})
          .status();
    };
  }

  void StartConsumer(MessageHandler handler, int max_deliver = 5,
                     absl::Duration retry_base = absl::Milliseconds(100), int workers = 1) {
    messaging::PullConsumerOptions options{
        .service = "test",
        .consumer = {.stream = stream_,
                     .durable = "c" + tag_,
                     .filter_subject = absl::StrCat("t", tag_, ".>"),
                     .ack_wait = absl::Seconds(5),
                     .max_deliver = max_deliver},
        .batch = 64,
        .fetch_bytes = fetch_bytes_,
        .workers = workers,
        .fetch_wait = absl::Milliseconds(200),
        .retry_base = retry_base,
        .retry_max = absl::Seconds(2)};
    auto consumer = messaging::PullConsumer::Start(
        *nats_, options, TransactionalHandler(*pool_, "c" + tag_, std::move(handler), max_deliver),
        metrics_);
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    consumer_ = *std::move(consumer);
  }

  // On one connection: tests poll with it every few milliseconds.
  int64_t Query(const std::string& sql) {
    if (!query_conn_.has_value() || !query_conn_->Connected()) {
      auto conn = pg::Connection::Open(dsn_);
      EXPECT_TRUE(conn.ok()) << conn.status();
      if (!conn.ok()) return -1;
      query_conn_.emplace(*std::move(conn));
    }
    auto r = query_conn_->Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->Int(0, 0).value_or(-1) : -1;
  }
  int64_t Effects() { return Query("SELECT count(*) FROM effects"); }
  // Whether every outbox row is marked published (the relay marks a batch within its mark_delay).
  bool AllMarked(absl::Duration timeout = absl::Seconds(10)) {
    return testing::WaitUntil(
        [&] { return Query("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0; },
        timeout);
  }
  bool WaitForEffects(int64_t n, absl::Duration timeout = absl::Seconds(30)) {
    return testing::WaitUntil([&] { return Effects() >= n; }, timeout);
  }

  // Publishes a raw NATS message straight to JetStream (bypassing the outbox).
  void PublishRaw(const std::string& subject, const std::string& body, const std::string& msg_id) {
    ASSERT_TRUE(testing::PublishRaw(*nats_, subject, body, {{"Nats-Msg-Id", msg_id}}).ok());
  }

  // The newest dead letter of this test's consumer (null if none).
  messaging::NatsMsgPtr LastDeadLetter() {
    natsMsg* dead = nullptr;
    jsErrCode jerr = jsErrCode(0);
    const std::string subject = absl::StrCat("mallbots.deadletter.test.c", tag_);
    js_GetLastMsg(&dead, nats_->js(), "DEADLETTER", subject.c_str(), nullptr, &jerr);
    return messaging::NatsMsgPtr(dead);
  }

  // Whether the durable `durable` (default: the test's consumer) settles everything its stream
  // holds for it, nothing left to deliver or to acknowledge: every message published before has
  // been handled and its effects committed (a consumer acks after its commit), so nothing more
  // will happen until something new is published. `deliveries`, when given, receives how many
  // deliveries the durable has made in all (redeliveries included).
  bool CaughtUp(const std::string& durable = "", uint64_t* deliveries = nullptr) {
    const std::string name = durable.empty() ? "c" + tag_ : durable;
    return testing::WaitUntil(
        [&] {
          jsConsumerInfo* ci = nullptr;
          jsErrCode jerr = jsErrCode(0);
          js_GetConsumerInfo(&ci, nats_->js(), stream_.c_str(), name.c_str(), nullptr, &jerr);
          const bool settled = ci != nullptr && ci->NumAckPending == 0 && ci->NumPending == 0;
          if (settled && deliveries != nullptr) *deliveries = ci->Delivered.Consumer;
          jsConsumerInfo_Destroy(ci);
          return settled;
        },
        absl::Seconds(10));
  }

  // A consumer metric of this test's, e.g. messaging_consumer_duplicates_total, for messages
  // named `name` handled by `durable` (default: the test's consumer).
  double ConsumerMetric(const std::string& family, const std::string& durable = "",
                        const std::string& name = "test.Thing") {
    return testing::MetricValue(
        metrics_.Exposition(),
        absl::StrCat(family, "{consumer=\"", durable.empty() ? "c" + tag_ : durable, "\",name=\"",
                     name, "\"}"));
  }
  bool WaitForMetric(const std::function<double()>& value, double at_least) {
    return testing::WaitUntil([&] { return value() >= at_least; }, absl::Seconds(10));
  }

  uint64_t StreamCount(const std::string& stream, const std::string& subject = "") {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = jsErrCode(0);
    jsOptions o;
    jsOptions_Init(&o);
    if (!subject.empty()) o.Stream.Info.SubjectsFilter = subject.c_str();
    js_GetStreamInfo(&si, nats_->js(), stream.c_str(), &o, &jerr);
    uint64_t n = 0;
    if (si != nullptr && subject.empty()) {
      n = si->State.Msgs;
    } else if (si != nullptr && si->State.Subjects != nullptr) {
      for (int i = 0; i < si->State.Subjects->Count; ++i) n += si->State.Subjects->List[i].Msgs;
    }
    jsStreamInfo_Destroy(si);
    return n;
  }

  std::string dsn_;
  std::optional<pg::Connection> query_conn_;
  obs::MetricsRegistry metrics_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<messaging::Connection> nats_;
  std::string tag_, stream_, subject_;
  std::unique_ptr<Relay> relay_;
  std::unique_ptr<messaging::PullConsumer> consumer_;
  int64_t fetch_bytes_ = messaging::PullConsumerOptions{}.fetch_bytes;
};

TEST_F(PipelineTest, CommittedMessagesFlowEndToEndInOrder) {
  StartRelay();
  StartConsumer(RecordEffect());
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    messaging::Message m = NewMessage(absl::StrCat(i));
    ids.push_back(m.id);
    ASSERT_TRUE(Produce(m).ok());
  }
  ASSERT_TRUE(WaitForEffects(200));
  // Per-subject order: the consumer saw them in insertion order.
  auto conn = pg::Connection::Open(dsn_);
  auto r = conn->Exec("SELECT msg_id FROM effects ORDER BY n");
  std::vector<std::string> seen;
  for (int i = 0; i < r->rows(); ++i) seen.emplace_back(r->Text(i, 0));
  EXPECT_THAT(seen, ElementsAreArray(ids));
  EXPECT_TRUE(AllMarked());
  EXPECT_TRUE(relay_->leader());
}

// The ids of this process's threads named `name` (threads a thread starts inherit its name).
std::set<int> ThreadsNamed(const std::string& name) {
  std::set<int> tids;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) {
      tids.insert(std::stoi(task.path().filename().string()));
    }
  }
  return tids;
}

// Whether the relay started after `before` was taken runs, with the threads it started (its NATS
// connection's), under scheduling policy `policy`: they inherit it, and its name.
bool NewRelayThreadsRunUnder(const std::set<int>& before, int policy) {
  return testing::WaitUntil(
      [&] {
        int found = 0;
        for (int tid : ThreadsNamed("outbox-relay")) {
          if (before.contains(tid)) continue;
          if (sched_getscheduler(tid) != policy) return false;
          ++found;
        }
        return found > 0;
      },
      absl::Seconds(10));
}

TEST_F(PipelineTest, TheRelayThreadYieldsTheCpuToTheCallsThatWakeIt) {
  StartConsumer(RecordEffect());
  std::set<int> before = ThreadsNamed("outbox-relay");  // earlier tests' (nats.c keeps some)
  StartRelay();
  EXPECT_TRUE(NewRelayThreadsRunUnder(before, SCHED_BATCH));
  ASSERT_TRUE(Produce(NewMessage("batch")).ok());
  EXPECT_TRUE(WaitForEffects(1));
  relay_->Stop();

  before = ThreadsNamed("outbox-relay");
  relay_ = Relay::Start(
      {.pg_dsn = dsn_, .nats = {.url = testing::SharedNats().url()}, .batch_scheduling = false},
      metrics_);
  EXPECT_TRUE(NewRelayThreadsRunUnder(before, SCHED_OTHER));
  ASSERT_TRUE(Produce(NewMessage("other")).ok());
  EXPECT_TRUE(WaitForEffects(2));
}

TEST_F(PipelineTest, ProducersElsewhereWakeTheRelayWithNotify) {
  StartRelay(/*poll=*/absl::Seconds(30));  // only a wake-up can make it publish in time
  StartConsumer(RecordEffect());
  ASSERT_TRUE(testing::WaitUntil([&] { return relay_->leader(); }, absl::Seconds(10)));
  // Another replica: same database, but no relay of its own in this process for its DSN.
  auto other = pg::Pool::Create({.dsn = dsn_ + " application_name=replica2", .size = 1});
  ASSERT_TRUE(other.ok());
  auto uow = UnitOfWork::Begin(**other);
  ASSERT_TRUE(uow.ok());
  ASSERT_TRUE(uow->Publish(NewMessage("from another replica")).ok());
  ASSERT_TRUE(uow->Commit().ok());
  EXPECT_TRUE(WaitForEffects(1, absl::Seconds(5)));  // woken by NOTIFY, not by the 30 s poll
  // And one from this process: woken directly.
  ASSERT_TRUE(Produce(NewMessage("local")).ok());
  EXPECT_TRUE(WaitForEffects(2, absl::Seconds(5)));
}

TEST_F(PipelineTest, CommitsWhileTheRelayIsBusyAreRelayedWithoutWaitingForThePoll) {
  StartRelay(/*poll=*/absl::Seconds(30));  // only wake-ups can make it publish in time
  StartConsumer(RecordEffect());
  ASSERT_TRUE(testing::WaitUntil([&] { return relay_->leader(); }, absl::Seconds(10)));
  // Four producers commit back to back: most commits come while the relay publishes or lingers
  // (they find it busy), some while it waits. Each producer's messages are about one aggregate.
  constexpr int kProducers = 4, kEach = 60;
  std::vector<std::vector<std::string>> ids(kProducers);
  {
    std::vector<std::jthread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        for (int i = 0; i < kEach; ++i) {
          messaging::Message m = NewMessage(absl::StrCat(p, "-", i));
          m.aggregate_id = absl::StrCat("producer-", p, "-", tag_);
          if (Produce(m).ok()) ids[p].push_back(m.id);
        }
      });
    }
  }
  for (const std::vector<std::string>& mine : ids) ASSERT_EQ(mine.size(), kEach);
  EXPECT_TRUE(WaitForEffects(kProducers * kEach, absl::Seconds(10)));
  // Each aggregate's messages arrived in the order they were committed.
  auto r = pg::Connection::Open(dsn_)->Exec("SELECT msg_id, body FROM effects ORDER BY n");
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::vector<std::string>> seen(kProducers);
  for (int i = 0; i < r->rows(); ++i) {
    seen[std::stoi(std::string(r->Text(i, 1)))].emplace_back(r->Text(i, 0));
  }
  for (int p = 0; p < kProducers; ++p) EXPECT_THAT(seen[p], ElementsAreArray(ids[p]));
  // Then, with the relay idle, one more commit wakes it.
  ASSERT_TRUE(Produce(NewMessage("0-last")).ok());
  EXPECT_TRUE(WaitForEffects(kProducers * kEach + 1, absl::Seconds(5)));
  EXPECT_TRUE(AllMarked());
}

TEST_F(PipelineTest, AMessageWrittenTwiceHasOneEffect) {
  // Every publish on the subject, as a plain NATS subscriber sees it.
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw_sub, nats_->nc(), subject_.c_str()), NATS_OK);
  messaging::NatsSubPtr publishes(raw_sub);
  ASSERT_EQ(natsConnection_Flush(nats_->nc()), NATS_OK);
  StartConsumer(RecordEffect());
  messaging::Message m = NewMessage("twice");
  ASSERT_TRUE(Produce(m).ok());
  {  // the same message in a second unit of work: a second outbox row
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    ASSERT_TRUE(uow->Publish(m).ok());
    ASSERT_TRUE(uow->Commit().ok());
  }
  StartRelay();  // both rows in its first batch: published once, both marked by that one ack
  ASSERT_TRUE(AllMarked(absl::Seconds(10)));
  EXPECT_EQ(Query("SELECT count(*) FROM outbox"), 2);
  // Both rows marked, so the relay publishes nothing more; the consumer settled all there is.
  ASSERT_TRUE(CaughtUp());
  EXPECT_EQ(Effects(), 1);
  EXPECT_EQ(StreamCount(stream_), 1u);
  // The server queues what it routed to the subscription before it answers the flush.
  ASSERT_EQ(natsConnection_Flush(nats_->nc()), NATS_OK);
  int published = 0;
  ASSERT_EQ(natsSubscription_GetPending(publishes.get(), &published, nullptr), NATS_OK);
  EXPECT_EQ(published, 1);
}

TEST_F(PipelineTest, RolledBackWorkPublishesNothing) {
  StartRelay();
  StartConsumer(RecordEffect());
  {
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    ASSERT_TRUE(uow->Publish(NewMessage("never")).ok());
    // destroyed without Commit: rolled back
  }
  messaging::Message kept = NewMessage("kept");
  ASSERT_TRUE(Produce(kept).ok());
  ASSERT_TRUE(WaitForEffects(1));
  // The rolled-back unit left no row; the one there is went out and was handled.
  EXPECT_EQ(Query("SELECT count(*) FROM outbox"), 1);
  ASSERT_TRUE(AllMarked());
  ASSERT_TRUE(CaughtUp());
  EXPECT_EQ(Effects(), 1);
  EXPECT_EQ(StreamCount(stream_), 1u);
}

TEST_F(PipelineTest, DeferredWritesAreReadableCommittedOrReportedAtCommit) {
  {
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    uow->Defer("INSERT INTO business (id) VALUES ($1)", {"d1"});
    // tx() sends what was deferred first, so the unit of work reads its own writes.
    auto seen = uow->tx().Exec("SELECT count(*) FROM business WHERE id = 'd1'");
    ASSERT_TRUE(seen.ok());
    EXPECT_EQ(*seen->Int(0, 0), 1);
    uow->Defer("INSERT INTO business (id) VALUES ($1)", {"d2"});
    ASSERT_TRUE(uow->Publish(NewMessage("with deferred")).ok());
    ASSERT_TRUE(uow->Commit().ok());
  }
  EXPECT_EQ(Query("SELECT count(*) FROM business"), 2);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox"), 1);
  {
    // A deferred write that fails surfaces at Commit, and nothing of the unit is kept.
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    uow->Defer("INSERT INTO business (id) VALUES ($1)", {"d3"});
    uow->Defer("INSERT INTO business (id) VALUES ($1)", {"d1"});  // duplicate key
    ASSERT_TRUE(uow->Publish(NewMessage("lost")).ok());
    EXPECT_EQ(uow->Commit().code(), absl::StatusCode::kAlreadyExists);
  }
  {
    // A rollback to a savepoint forgets the writes and messages queued after it.
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    uow->Defer("INSERT INTO business (id) VALUES ($1)", {"d4"});
    ASSERT_TRUE(uow->Savepoint("s").ok());
    uow->Defer("INSERT INTO business (id) VALUES ($1)", {"d5"});
    ASSERT_TRUE(uow->Publish(NewMessage("forgotten")).ok());
    ASSERT_TRUE(uow->RollbackToSavepoint("s").ok());
    EXPECT_EQ(uow->published(), 0);
    ASSERT_TRUE(uow->Commit().ok());
  }
  EXPECT_EQ(Query("SELECT count(*) FROM business WHERE id IN ('d3', 'd5')"), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM business WHERE id = 'd4'"), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox"), 1);
}

TEST_F(PipelineTest, SameMessageDeliveredTwiceHasOneEffect) {
  messaging::Message m = NewMessage("once");
  const std::string body = messaging::EncodeEnvelope(m);
  // First deliveries of one message id (as after a re-publish past the duplicate window):
  // different Nats-Msg-Ids so JetStream keeps them all. Two copies wait in the stream, so they
  // arrive in one batch; a third arrives after the first was handled.
  PublishRaw(subject_, body, m.id + "-a");
  PublishRaw(subject_, body, m.id + "-b");
  StartConsumer(RecordEffect());
  ASSERT_TRUE(WaitForEffects(1));
  PublishRaw(subject_, body, m.id + "-c");
  const std::string duplicates = absl::StrCat("messaging_consumer_duplicates_total{consumer=\"c",
                                              tag_, "\",name=\"", m.name, "\"} 2");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return metrics_.Exposition().find(duplicates) != std::string::npos; },
      absl::Seconds(10)))
      << metrics_.Exposition();
  EXPECT_EQ(Effects(), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM inbox"), 1);
}

TEST_F(PipelineTest, BatchOfFirstDeliveriesIsOneTransactionWithItsEffects) {
  // A handler that only queues its writes: the batch's inbox rows, effects and commit go to
  // PostgreSQL together.
  constexpr int kMessages = 20;
  std::vector<messaging::Message> sent;
  for (int i = 0; i < kMessages; ++i) {
    sent.push_back(NewMessage(absl::StrCat("b", i)));
    PublishRaw(subject_, messaging::EncodeEnvelope(sent.back()), sent.back().id);
  }
  StartConsumer([](UnitOfWork& uow, const messaging::Message& m) {
    uow.Defer("INSERT INTO effects (msg_id, name, body) VALUES ($1, $2, $3)",
              {m.id, m.name, m.payload});
    return absl::OkStatus();
  });
  ASSERT_TRUE(WaitForEffects(kMessages));
  EXPECT_EQ(Query("SELECT count(*) FROM inbox"), kMessages);
  // One transaction wrote every row (all 20 were waiting, and a batch holds 64).
  EXPECT_EQ(Query("SELECT count(DISTINCT xmin::text) FROM effects"), 1);
  EXPECT_EQ(Query("SELECT count(DISTINCT xmin::text) FROM inbox"), 1);

  // A first delivery of a message handled before: its inbox row stops the queued writes at the
  // commit, and it is acked as a duplicate with no second effect.
  PublishRaw(subject_, messaging::EncodeEnvelope(sent[0]), sent[0].id + "-again");
  const std::string duplicates = absl::StrCat("messaging_consumer_duplicates_total{consumer=\"c",
                                              tag_, "\",name=\"", sent[0].name, "\"} 1");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return metrics_.Exposition().find(duplicates) != std::string::npos; },
      absl::Seconds(10)))
      << metrics_.Exposition();
  EXPECT_EQ(Effects(), kMessages);
  EXPECT_EQ(Query("SELECT count(*) FROM inbox"), kMessages);
}

TEST_F(PipelineTest, RelayCrashBetweenPublishAndMarkRepublishesWithOneEffect) {
  StartConsumer(RecordEffect());
  messaging::Message m = NewMessage("crash");
  ASSERT_TRUE(Produce(m).ok());
  // What a relay that died after publishing but before marking leaves behind: the message in the
  // stream, the row still unpublished.
  PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  ASSERT_TRUE(WaitForEffects(1));
  StartRelay();  // a new relay publishes the row again
  ASSERT_TRUE(AllMarked(absl::Seconds(10)));
  EXPECT_EQ(StreamCount(stream_), 1u);  // de-duplicated by Nats-Msg-Id
  // Past the duplicate window JetStream would store it twice; the inbox still holds.
  PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id + "-late");
  ASSERT_TRUE(
      WaitForMetric([&] { return ConsumerMetric("messaging_consumer_duplicates_total"); }, 1))
      << metrics_.Exposition();
  EXPECT_EQ(Effects(), 1);
}

TEST_F(PipelineTest, NatsOutageLosesNothing) {
  StartRelay(absl::Milliseconds(200));
  StartConsumer(RecordEffect());
  std::atomic<int> produced{0};
  std::jthread producer = ProduceEvery(absl::Milliseconds(20), produced);
  ASSERT_TRUE(testing::WaitUntil([&] { return produced >= 20; }, absl::Seconds(10)));
  testing::SharedNats().Stop();
  absl::SleepFor(absl::Seconds(2));  // producers keep committing meanwhile
  // The relay neither scans nor counts the growing backlog while nothing can go out.
  const double scans = testing::MetricValue(metrics_.Exposition(), "outbox_scans_total");
  absl::SleepFor(absl::Seconds(8));
  EXPECT_EQ(testing::MetricValue(metrics_.Exposition(), "outbox_scans_total"), scans);
  const int during = produced.load();
  ASSERT_TRUE(testing::SharedNats().Restart().ok());
  absl::SleepFor(absl::Seconds(1));
  producer.request_stop();
  producer.join();
  EXPECT_GT(during, 200);  // the database side never stopped
  ASSERT_TRUE(WaitForEffects(produced.load(), absl::Seconds(60)))
      << Effects() << " of " << produced.load();
  EXPECT_EQ(Effects(), produced.load());
  EXPECT_EQ(Query("SELECT count(DISTINCT msg_id) FROM effects"), produced.load());
  EXPECT_TRUE(AllMarked());
  EXPECT_EQ(relay_->published(), produced.load());
}

// Short outages one after another, with a backlog building up in each: the relay and the
// consumer come back every time, and nothing is lost or handled twice. (Pull requests sent while
// disconnected used to be flushed in a burst on reconnect and corrupted nats.c 3.4.1's heap in
// about half of such runs on a loaded machine.)
TEST_F(PipelineTest, RepeatedNatsOutagesLoseNothing) {
  StartRelay(absl::Milliseconds(200));
  StartConsumer(RecordEffect(), 5, absl::Milliseconds(100), 2);
  std::atomic<int> produced{0};
  std::jthread producer = ProduceEvery(absl::Milliseconds(5), produced);
  for (int outage = 0; outage < 6; ++outage) {
    const int before = produced.load();
    ASSERT_TRUE(testing::WaitUntil([&] { return Effects() >= before; }, absl::Seconds(30)))
        << "outage " << outage << ": " << Effects() << " of " << before;
    testing::SharedNats().Stop();
    absl::SleepFor(absl::Milliseconds(1500));
    ASSERT_TRUE(testing::SharedNats().Restart().ok());
  }
  producer.request_stop();
  producer.join();
  ASSERT_TRUE(WaitForEffects(produced.load(), absl::Seconds(60)))
      << Effects() << " of " << produced.load();
  EXPECT_EQ(Effects(), produced.load());
  EXPECT_EQ(Query("SELECT count(DISTINCT msg_id) FROM effects"), produced.load());
  EXPECT_TRUE(AllMarked());
}

TEST_F(PipelineTest, RowNoStreamTakesIsIsolatedAfterBoundedAttemptsAndCanBeResent) {
  StartConsumer(RecordEffect());
  const std::string orphan_subject = absl::StrCat("orphan", tag_, ".events.Thing");
  messaging::Message orphan = NewMessage("orphan", orphan_subject);
  orphan.aggregate_id = "a-" + tag_;
  messaging::Message later = NewMessage("later of the same aggregate");
  later.aggregate_id = orphan.aggregate_id;
  ASSERT_TRUE(Produce(orphan).ok());
  ASSERT_TRUE(Produce(later).ok());
  ASSERT_TRUE(Produce(NewMessage("fine")).ok());
  // Numbered 1 and 2 by two units of work, the row about no aggregate not at all.
  auto number = [&](const messaging::Message& m) {
    return Query(absl::StrCat("SELECT aggregate_seq FROM outbox WHERE id = '", m.id, "'"));
  };
  EXPECT_EQ(number(orphan), 1);
  EXPECT_EQ(number(later), 2);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE aggregate_seq IS NULL"), 1);
  StartRelay();
  // The other aggregate's row is published; the orphan is refused (no responders) five times
  // and moved to outbox_dead; the later row of its aggregate waits behind it.
  ASSERT_TRUE(WaitForEffects(1));
  ASSERT_TRUE(WaitForMetric(
      [&] { return testing::MetricValue(metrics_.Exposition(), "outbox_dead_rows_total"); }, 1))
      << metrics_.Exposition();
  EXPECT_EQ(Query("SELECT attempts FROM outbox_dead"), 5);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox_dead WHERE last_error LIKE '%no responders%'"), 1)
      << "last_error should say why";
  // Never scanned again: no more publish errors (counted once the scan that isolated it is over).
  const double scans = testing::MetricValue(metrics_.Exposition(), "outbox_scans_total");
  ASSERT_TRUE(WaitForMetric(
      [&] { return testing::MetricValue(metrics_.Exposition(), "outbox_scans_total"); },
      scans + 2));
  const double errors = testing::MetricValue(metrics_.Exposition(), "outbox_publish_errors_total");
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(testing::MetricValue(metrics_.Exposition(), "outbox_publish_errors_total"), errors);
  EXPECT_EQ(Effects(), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NULL"), 1);  // `later`
  // Once a stream takes the subject, the operator re-sends it: it goes out, then `later`.
  const std::string orphan_stream = absl::StrCat("O", tag_);
  ASSERT_TRUE(
      messaging::EnsureStream(
          nats_->js(), {.name = orphan_stream, .subjects = {absl::StrCat("orphan", tag_, ".>")}})
          .ok());
  auto conn = pg::Connection::Open(dsn_);
  ASSERT_TRUE(conn.ok());
  auto resent = ResendDeadRows(*conn, {});
  ASSERT_TRUE(resent.ok()) << resent.status();
  EXPECT_EQ(*resent, 1);
  ASSERT_TRUE(AllMarked(absl::Seconds(10)));
  EXPECT_EQ(StreamCount(orphan_stream), 1u);
  ASSERT_TRUE(WaitForEffects(2));
  EXPECT_EQ(Query("SELECT count(*) FROM outbox_dead"), 0);
}

TEST_F(PipelineTest, AFullStreamThatRefusesNewMessagesLeavesThemInTheOutbox) {
  // A bounded stream (like a command stream) with discard=new: at its byte limit JetStream
  // refuses the publish, and the row waits in the outbox until there is room again.
  const std::string full = absl::StrCat("FULL", tag_);
  const std::string subject = absl::StrCat("full", tag_, ".commands");
  messaging::StreamSpec spec{.name = full,
                             .subjects = {subject},
                             .max_age = absl::Hours(1),
                             .max_bytes = 150 * 1024,
                             .discard_new = true};
  ASSERT_TRUE(messaging::EnsureStream(nats_->js(), spec).ok());
  ASSERT_TRUE(Produce(NewMessage(std::string(100 * 1024, 'a'), subject)).ok());
  ASSERT_TRUE(Produce(NewMessage(std::string(100 * 1024, 'b'), subject)).ok());
  StartRelay(absl::Seconds(1), /*isolate_after=*/absl::Minutes(5));
  ASSERT_TRUE(WaitForMetric(
      [&] { return testing::MetricValue(metrics_.Exposition(), "outbox_publish_errors_total"); },
      2));
  EXPECT_EQ(StreamCount(full), 1u);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NULL"), 1);
  // The stream's limit is raised (EnsureStream updates it in place): the row goes out.
  spec.max_bytes = 1 << 20;
  ASSERT_TRUE(messaging::EnsureStream(nats_->js(), spec).ok());
  ASSERT_TRUE(AllMarked(absl::Seconds(10)));
  EXPECT_EQ(StreamCount(full), 2u);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = jsErrCode(0);
  ASSERT_EQ(js_GetStreamInfo(&si, nats_->js(), full.c_str(), nullptr, &jerr), NATS_OK);
  EXPECT_EQ(si->Config->MaxBytes, 1 << 20);
  EXPECT_EQ(si->Config->MaxAge, absl::ToInt64Nanoseconds(absl::Hours(1)));
  EXPECT_EQ(si->Config->Discard, js_DiscardNew);
  jsStreamInfo_Destroy(si);
}

TEST_F(PipelineTest, ARowIsIsolatedOnlyOnceItHasFailedForAWhile) {
  // A stream created shortly after its first publisher started costs nothing.
  const std::string orphan_subject = absl::StrCat("orphan", tag_, ".events.Thing");
  ASSERT_TRUE(Produce(NewMessage("early", orphan_subject)).ok());
  StartRelay(absl::Seconds(1), /*isolate_after=*/absl::Seconds(10));
  ASSERT_TRUE(testing::WaitUntil([&] { return Query("SELECT attempts FROM outbox") >= 5; },
                                 absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(Query("SELECT count(*) FROM outbox_dead"), 0);
  ASSERT_TRUE(testing::WaitUntil([&] { return Query("SELECT count(*) FROM outbox_dead") == 1; },
                                 absl::Seconds(20)));
  EXPECT_EQ(Query("SELECT count(*) FROM outbox"), 0);
}

TEST_F(PipelineTest, BatchesAreBoundedInBytes) {
  // Ten rows of 100 KB with a 250 KB bound: three rows at most per batch (the third starts
  // below the bound), so at least four scans find rows, none more than five.
  StartConsumer(RecordEffect());
  {
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(
          uow->Publish(NewMessage(std::string(100 * 1024, static_cast<char>('a' + i)))).ok());
    }
    ASSERT_TRUE(uow->Commit().ok());
  }
  relay_ = Relay::Start(
      {.pg_dsn = dsn_, .nats = {.url = testing::SharedNats().url()}, .batch_bytes = 250 * 1024},
      metrics_);
  ASSERT_TRUE(WaitForEffects(10));
  ASSERT_TRUE(AllMarked());
  const std::string text = metrics_.Exposition();
  const double batches = testing::MetricValue(text, "outbox_batch_rows_count");
  EXPECT_GE(batches, 4) << text;
  EXPECT_EQ(testing::MetricValue(text, "outbox_batch_rows_bucket{le=\"5\"}"), batches) << text;
  EXPECT_EQ(testing::MetricValue(text, "outbox_batch_rows_sum"), 10) << text;
}

TEST_F(PipelineTest, FetchesAreBoundedInBytes) {
  // Ten messages of 100 KB, then one of 400 KB, waiting before the consumer starts. With a
  // 250 KB bound a fetch takes at most three, and the big one comes alone: five fetches at least
  // (one fetch would take all eleven without the bound).
  for (int i = 0; i < 10; ++i) {
    messaging::Message m = NewMessage(std::string(100 * 1024, static_cast<char>('a' + i)));
    PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  }
  messaging::Message big = NewMessage(std::string(400 * 1024, 'z'));
  PublishRaw(subject_, messaging::EncodeEnvelope(big), big.id);
  fetch_bytes_ = 250 * 1024;
  StartConsumer(RecordEffect());
  ASSERT_TRUE(WaitForEffects(11));
  EXPECT_TRUE(CaughtUp());
  EXPECT_EQ(Effects(), 11);
  const std::string text = metrics_.Exposition();
  const std::string family = "messaging_consumer_fetch_messages";
  const std::string consumer = absl::StrCat("consumer=\"c", tag_, "\"");
  const double fetches = testing::MetricValue(text, absl::StrCat(family, "_count{", consumer, "}"));
  EXPECT_GE(fetches, 5) << text;
  EXPECT_EQ(testing::MetricValue(text, absl::StrCat(family, "_bucket{", consumer, ",le=\"5\"}")),
            fetches)
      << text;
  EXPECT_EQ(testing::MetricValue(text, absl::StrCat(family, "_sum{", consumer, "}")), 11) << text;
}

TEST_F(PipelineTest, ThousandOrphanRowsDoNotHoldBackAGoodOne) {
  StartConsumer(RecordEffect());
  const std::string orphan_subject = absl::StrCat("orphan", tag_, ".events.Thing");
  {
    // 1001 rows no stream takes, ahead of a good one: more than a scan's batch (1000).
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    for (int i = 0; i < 1001; ++i) {
      ASSERT_TRUE(uow->Publish(NewMessage(absl::StrCat("orphan ", i), orphan_subject)).ok());
    }
    ASSERT_TRUE(uow->Commit().ok());
  }
  messaging::Message good = NewMessage("good");
  good.aggregate_id = "good-" + tag_;
  ASSERT_TRUE(Produce(good).ok());
  StartRelay();
  ASSERT_TRUE(WaitForEffects(1, absl::Seconds(60)));
  ASSERT_TRUE(testing::WaitUntil([&] { return Query("SELECT count(*) FROM outbox_dead") == 1001; },
                                 absl::Seconds(30)));
  EXPECT_EQ(Query("SELECT count(*) FROM outbox"), 1);  // the good one, published
  EXPECT_TRUE(AllMarked());
}

TEST_F(PipelineTest, AnAggregatesRowsGoOutInOrderWhenTheFirstFailsOnce) {
  // The first row's subject is full (one message per subject, new ones refused): its publish
  // fails, while the second row (same aggregate, another subject) would be taken; it must wait.
  auto limit = [&](int64_t per_subject) {
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = jsErrCode(0);
    ASSERT_EQ(js_GetStreamInfo(&info, nats_->js(), stream_.c_str(), nullptr, &jerr), NATS_OK);
    info->Config->MaxMsgsPerSubject = per_subject;
    info->Config->Discard = js_DiscardNew;
    info->Config->DiscardNewPerSubject = per_subject > 0;
    jsStreamInfo* updated = nullptr;
    ASSERT_EQ(js_UpdateStream(&updated, nats_->js(), info->Config, nullptr, &jerr), NATS_OK)
        << jerr;
    jsStreamInfo_Destroy(updated);
    jsStreamInfo_Destroy(info);
  };
  limit(1);
  messaging::Message filler = NewMessage("filler");
  PublishRaw(subject_, messaging::EncodeEnvelope(filler), filler.id);
  StartConsumer(InOrder("c" + tag_, RecordEffect()));
  ASSERT_TRUE(WaitForEffects(1));
  messaging::Message added = NewMessage("added");
  added.aggregate_id = "product-" + tag_;
  messaging::Message increased = NewMessage("increased", absl::StrCat("t", tag_, ".events.Price"));
  increased.aggregate_id = added.aggregate_id;
  {
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    ASSERT_TRUE(uow->Publish(added).ok());
    ASSERT_TRUE(uow->Publish(increased).ok());
    ASSERT_TRUE(uow->Commit().ok());
  }
  EXPECT_EQ(Query("SELECT max(aggregate_seq) FROM outbox"), 2);
  StartRelay(absl::Seconds(1), /*isolate_after=*/absl::Minutes(5));
  ASSERT_TRUE(WaitForMetric(
      [&] { return testing::MetricValue(metrics_.Exposition(), "outbox_publish_errors_total"); },
      1));
  EXPECT_EQ(StreamCount(stream_), 1u);  // the filler; the second row waits behind the first
  limit(-1);
  ASSERT_TRUE(AllMarked(absl::Seconds(10)));
  ASSERT_TRUE(WaitForEffects(3));
  EXPECT_EQ(Query("SELECT count(*) FROM outbox_dead"), 0);
  // In the stream in order, numbered 1 and 2.
  std::vector<std::string> bodies, seqs;
  for (uint64_t seq = 1; seq <= StreamCount(stream_); ++seq) {
    natsMsg* raw = nullptr;
    jsErrCode jerr = jsErrCode(0);
    ASSERT_EQ(js_GetMsg(&raw, nats_->js(), stream_.c_str(), seq, nullptr, &jerr), NATS_OK);
    messaging::NatsMsgPtr msg(raw);
    auto m = messaging::DecodeEnvelope(
        natsMsg_GetSubject(raw), std::string(natsMsg_GetData(raw), natsMsg_GetDataLength(raw)));
    ASSERT_TRUE(m.ok());
    bodies.push_back(m->payload);
    seqs.push_back(messaging::Header(raw, messaging::kAggregateSeqHeader));
  }
  EXPECT_THAT(bodies, ElementsAreArray({"filler", "added", "increased"}));
  EXPECT_THAT(seqs, ElementsAreArray({"", "1", "2"}));
  // And the projection applied them in that order.
  auto conn = pg::Connection::Open(dsn_);
  auto order = conn->Exec("SELECT string_agg(body, ',' ORDER BY n) FROM effects");
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->Text(0, 0), "filler,added,increased");
  EXPECT_EQ(Query("SELECT seq FROM inbox_positions"), 2);
}

TEST_F(PipelineTest, AnOrderSensitiveConsumerWaitsForTheMessageBeforeIt) {
  StartConsumer(InOrder("c" + tag_, RecordEffect()), /*max_deliver=*/5,
                /*retry_base=*/absl::Milliseconds(50));
  auto publish = [&](const std::string& body, const std::string& seq) {
    messaging::Message m = NewMessage(body);
    ASSERT_TRUE(testing::PublishRaw(*nats_, subject_, messaging::EncodeEnvelope(m),
                                    {{"Nats-Msg-Id", m.id},
                                     {messaging::kAggregateIdHeader, "p-" + tag_},
                                     {messaging::kAggregateSeqHeader, seq}})
                    .ok());
  };
  publish("second", "2");  // came early: waits (uncounted) until the first is applied
  ASSERT_TRUE(WaitForMetric([&] { return ConsumerMetric("messaging_consumer_waits_total"); }, 1));
  EXPECT_EQ(Effects(), 0);
  EXPECT_EQ(ConsumerMetric("messaging_consumer_failed_total"), 0);
  publish("first", "1");
  ASSERT_TRUE(WaitForEffects(2));
  auto conn = pg::Connection::Open(dsn_);
  auto order = conn->Exec("SELECT string_agg(body, ',' ORDER BY n) FROM effects");
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->Text(0, 0), "first,second");
  publish("first again", "1");  // a copy under another id: acked, no effect
  ASSERT_TRUE(CaughtUp());
  EXPECT_EQ(Effects(), 2);
  EXPECT_EQ(Query("SELECT seq FROM inbox_positions"), 2);
}

TEST_F(PipelineTest, PublishRepliesThatComeTooLateMarkNothing) {
  relay_ = Relay::Start({.pg_dsn = dsn_,
                         .nats = {.url = testing::SharedNats().url()},
                         .publish_timeout = absl::Milliseconds(200),
                         .initial_backoff = absl::Milliseconds(20),
                         .max_backoff = absl::Milliseconds(100)},
                        metrics_);
  StartConsumer(RecordEffect());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Produce(NewMessage(absl::StrCat("before", i))).ok());
  ASSERT_TRUE(WaitForEffects(5));
  ASSERT_TRUE(AllMarked());  // a PubAck slower than 200 ms leaves a row for a later scan
  const pid_t nats = testing::SharedNats().pid();
  ASSERT_EQ(kill(nats, SIGSTOP), 0);
  // The server every test shares runs again whatever happens below.
  absl::Cleanup resume = [nats] { kill(nats, SIGCONT); };
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Produce(NewMessage(absl::StrCat("during", i))).ok());
  absl::SleepFor(absl::Seconds(1));  // several batches time out meanwhile
  const int64_t unpublished_while_paused =
      Query("SELECT count(*) FROM outbox WHERE published_at IS NULL");
  std::move(resume).Invoke();
  EXPECT_EQ(unpublished_while_paused, 10);
  ASSERT_TRUE(AllMarked(absl::Seconds(20)));
  ASSERT_TRUE(WaitForEffects(15));
  ASSERT_TRUE(CaughtUp());
  EXPECT_EQ(Effects(), 15);
  EXPECT_EQ(Query("SELECT count(DISTINCT msg_id) FROM effects"), 15);
  EXPECT_EQ(StreamCount(stream_), 15u);  // the copies sent again were dropped by Nats-Msg-Id
  EXPECT_EQ(relay_->published(), 15);
  EXPECT_THAT(metrics_.Exposition(), ::testing::Not(HasSubstr("outbox_publish_errors_total 0\n")));
}

TEST_F(PipelineTest, TwoRelaysDeliverEverythingOnce) {
  std::unique_ptr<Relay> second = Relay::Start({.pg_dsn = dsn_,
                                                .nats = {.url = testing::SharedNats().url()},
                                                .poll_interval = absl::Milliseconds(200)},
                                               metrics_);
  StartRelay(absl::Milliseconds(200));
  StartConsumer(RecordEffect(), 5, absl::Milliseconds(100), 2);
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&] {
      for (int i = 0; i < 100; ++i) ASSERT_TRUE(Produce(NewMessage("x")).ok());
    });
  }
  for (auto& t : producers) t.join();
  ASSERT_TRUE(WaitForEffects(400));
  ASSERT_TRUE(AllMarked());
  ASSERT_TRUE(CaughtUp());
  EXPECT_EQ(Effects(), 400);
  EXPECT_EQ(Query("SELECT count(DISTINCT msg_id) FROM effects"), 400);
  EXPECT_EQ(StreamCount(stream_), 400u);
  EXPECT_NE(relay_->leader(), second->leader());  // exactly one relays
  // When the leader stops, the other takes over.
  Relay* standby = relay_->leader() ? second.get() : relay_.get();
  (relay_->leader() ? relay_ : second)->Stop();
  ASSERT_TRUE(testing::WaitUntil([&] { return standby->leader(); }, absl::Seconds(10)));
  ASSERT_TRUE(Produce(NewMessage("after failover")).ok());
  ASSERT_TRUE(WaitForEffects(401));
}

TEST_F(PipelineTest, ALeaderCutFromNatsGivesTheLeadToAStandby) {
  // Relay A reaches NATS through a proxy that can black-hole it: a partition neither side's
  // TCP notices. Relay B reaches NATS directly.
  auto proxy = testing::TcpProxy::Start(testing::SharedNats().port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  auto a = Relay::Start({.pg_dsn = dsn_,
                         .nats = {.url = absl::StrCat("nats://127.0.0.1:", (*proxy)->port())},
                         .poll_interval = absl::Milliseconds(200)},
                        metrics_);
  ASSERT_TRUE(testing::WaitUntil([&] { return a->leader(); }, absl::Seconds(10)));
  auto b = Relay::Start({.pg_dsn = dsn_,
                         .nats = {.url = testing::SharedNats().url()},
                         .poll_interval = absl::Milliseconds(200)},
                        metrics_);
  StartConsumer(RecordEffect());
  ASSERT_TRUE(Produce(NewMessage("through A")).ok());
  ASSERT_TRUE(WaitForEffects(1));
  EXPECT_FALSE(b->leader());
  (*proxy)->BlackHole(true);
  const absl::Time cut = absl::Now();
  ASSERT_TRUE(Produce(NewMessage("after the cut")).ok());
  ASSERT_TRUE(WaitForEffects(2, absl::Seconds(20))) << "B did not take over within 20 s";
  const absl::Duration took = absl::Now() - cut;
  EXPECT_TRUE(b->leader());
  EXPECT_FALSE(a->leader());
  std::printf("relay failover: the row written after the cut was handled %s later\n",
              absl::FormatDuration(took).c_str());
  b->Stop();
  a->Stop();
}

TEST_F(PipelineTest, AReplayedDeadLetterReachesOnlyTheConsumerThatFailedIt) {
  // Consumer A (the fixture's) dead-letters a message that consumer B of the same subject
  // handles; B's inbox row is pruned; the replay must be applied by A once, and not by B again.
  std::atomic<bool> a_broken{true};
  StartConsumer([&](UnitOfWork& uow, const messaging::Message& m) -> absl::Status {
    if (a_broken) return absl::InvalidArgumentError("A cannot take it yet");
    return uow.tx()
        .Exec("INSERT INTO effects (msg_id, name, body) VALUES ($1, 'A', $2)", {m.id, m.payload})
        .status();
  });
  const std::string b_durable = "b" + tag_;
  auto b = messaging::PullConsumer::Start(
      *nats_,
      {.service = "test",
       .consumer = {.stream = stream_, .durable = b_durable, .filter_subject = subject_},
       .fetch_wait = absl::Milliseconds(200)},
      TransactionalHandler(*pool_, b_durable,
                           [](UnitOfWork& uow, const messaging::Message& m) {
                             return uow.tx()
                                 .Exec(
                                     "INSERT INTO effects (msg_id, name, body) VALUES ($1, 'B', "
                                     "$2)",
                                     {m.id, m.payload})
                                 .status();
                           }),
      metrics_);
  ASSERT_TRUE(b.ok()) << b.status();
  messaging::Message m = NewMessage("once each");
  PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  ASSERT_TRUE(WaitForEffects(1));
  messaging::NatsMsgPtr dead;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        dead = LastDeadLetter();
        return dead != nullptr;
      },
      absl::Seconds(10)));
  ASSERT_TRUE(CaughtUp(b_durable));
  ASSERT_TRUE(
      pg::Connection::Open(dsn_)->Exec("DELETE FROM inbox WHERE consumer = $1", {b_durable}).ok());
  a_broken = false;
  absl::Status replayed =
      messaging::ReplayDeadLetter(nats_->js(), natsMsg_GetSequence(dead.get()), dead.get());
  ASSERT_TRUE(replayed.ok()) << replayed;
  ASSERT_TRUE(WaitForEffects(2));
  ASSERT_TRUE(CaughtUp());
  ASSERT_TRUE(CaughtUp(b_durable));
  EXPECT_EQ(Query("SELECT count(*) FROM effects WHERE name = 'A'"), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM effects WHERE name = 'B'"), 1);
  (*b)->Stop();
}

TEST_F(PipelineTest, AGapThatNeverFillsEndsInTheDeadLetterStream) {
  // The first message of the aggregate never comes: the second waits gap_wait without counting
  // attempts, then is retried and counted, and dead-lettered after max_deliver.
  StartConsumer(InOrder("c" + tag_, RecordEffect(), /*gap_wait=*/absl::Seconds(1)),
                /*max_deliver=*/3, /*retry_base=*/absl::Milliseconds(50));
  messaging::Message m = NewMessage("orphaned second");
  ASSERT_TRUE(testing::PublishRaw(*nats_, subject_, messaging::EncodeEnvelope(m),
                                  {{"Nats-Msg-Id", m.id},
                                   {messaging::kAggregateIdHeader, "gap-" + tag_},
                                   {messaging::kAggregateSeqHeader, "2"}})
                  .ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return LastDeadLetter() != nullptr; }, absl::Seconds(20)));
  EXPECT_GE(ConsumerMetric("messaging_consumer_waits_total"), 1);
  EXPECT_GE(ConsumerMetric("messaging_consumer_failed_total"), 2);
  EXPECT_EQ(Effects(), 0);
}

TEST_F(PipelineTest, PoisonMessageIsDeadLetteredAndTheConsumerContinues) {
  StartConsumer(RecordEffect());
  const uint64_t dead_before = StreamCount("DEADLETTER");
  PublishRaw(subject_, "\xff\xfe not an envelope", "poison-" + tag_);
  messaging::Message good = NewMessage("good");
  PublishRaw(subject_, messaging::EncodeEnvelope(good), good.id);
  ASSERT_TRUE(WaitForEffects(1));
  ASSERT_TRUE(testing::WaitUntil([&] { return StreamCount("DEADLETTER") == dead_before + 1; },
                                 absl::Seconds(10)));
  // The dead letter keeps the body and says why, where from and by whom.
  messaging::NatsMsgPtr owned = LastDeadLetter();
  ASSERT_NE(owned, nullptr);
  natsMsg* dead = owned.get();
  EXPECT_EQ(std::string(natsMsg_GetData(dead), natsMsg_GetDataLength(dead)),
            "\xff\xfe not an envelope");
  EXPECT_THAT(messaging::Header(dead, "Mallbots-Dead-Reason"),
              HasSubstr("not a jetstream.StreamMessage"));
  EXPECT_EQ(messaging::Header(dead, "Mallbots-Dead-Consumer"), "c" + tag_);
  EXPECT_EQ(messaging::Header(dead, "Mallbots-Dead-Subject"), subject_);
  EXPECT_EQ(messaging::Header(dead, "Mallbots-Dead-Original-Msg-Id"), "poison-" + tag_);
  EXPECT_EQ(Effects(), 1);
}

TEST_F(PipelineTest, TransientFailuresAreRetriedWithGrowingDelays) {
  std::vector<absl::Time> attempts;
  absl::Mutex mu;
  StartConsumer(
      [&](UnitOfWork& uow, const messaging::Message& m) -> absl::Status {
        absl::MutexLock lock(&mu);
        attempts.push_back(absl::Now());
        if (attempts.size() <= 3) {
          // Effects written before failing must vanish with the rollback.
          (void)uow.tx().Exec("INSERT INTO effects (msg_id, name) VALUES ($1, 'partial')", {m.id});
          return absl::InternalError("not yet");
        }
        return uow.tx()
            .Exec("INSERT INTO effects (msg_id, name) VALUES ($1, 'done')", {m.id})
            .status();
      },
      /*max_deliver=*/6, /*retry_base=*/absl::Milliseconds(150));
  messaging::Message m = NewMessage("flaky");
  PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  ASSERT_TRUE(WaitForEffects(1, absl::Seconds(20)));
  uint64_t deliveries = 0;
  ASSERT_TRUE(CaughtUp("", &deliveries));  // acked: not delivered again
  EXPECT_EQ(deliveries, 4u);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(attempts.size(), 4u);
  const absl::Duration d1 = attempts[1] - attempts[0], d2 = attempts[2] - attempts[1],
                       d3 = attempts[3] - attempts[2];
  EXPECT_GE(d1, absl::Milliseconds(140));
  EXPECT_GE(d2, absl::Milliseconds(290));
  EXPECT_GE(d3, absl::Milliseconds(590));
  EXPECT_EQ(Effects(), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM effects WHERE name = 'partial'"), 0);
}

TEST_F(PipelineTest, AlwaysFailingMessageIsDeadLetteredAfterMaxDeliver) {
  std::atomic<int> calls{0};
  StartConsumer(
      [&](UnitOfWork&, const messaging::Message& m) -> absl::Status {
        if (m.payload == "bad") {
          ++calls;
          return absl::InternalError("always broken");
        }
        return absl::OkStatus();
      },
      /*max_deliver=*/3, /*retry_base=*/absl::Milliseconds(50));
  const uint64_t dead_before = StreamCount("DEADLETTER");
  messaging::Message bad = NewMessage("bad");
  PublishRaw(subject_, messaging::EncodeEnvelope(bad), bad.id);
  ASSERT_TRUE(testing::WaitUntil([&] { return StreamCount("DEADLETTER") == dead_before + 1; },
                                 absl::Seconds(20)));
  uint64_t deliveries = 0;
  ASSERT_TRUE(CaughtUp("", &deliveries));  // terminated: never delivered again
  EXPECT_EQ(deliveries, 3u);
  EXPECT_EQ(calls.load(), 3);
  messaging::NatsMsgPtr owned = LastDeadLetter();
  ASSERT_NE(owned, nullptr);
  natsMsg* dead = owned.get();
  EXPECT_EQ(messaging::Header(dead, "Mallbots-Dead-Deliveries"), "3");
  EXPECT_THAT(messaging::Header(dead, "Mallbots-Dead-Reason"), HasSubstr("always broken"));
  EXPECT_EQ(Query("SELECT count(*) FROM inbox"), 0);  // never recorded as handled
}

TEST_F(PipelineTest, InfrastructureFailuresAreRetriedWithoutCountingAttempts) {
  // Unavailable, ResourceExhausted (a pool timeout), Aborted (a serialization failure) and
  // DeadlineExceeded (a statement timeout) wait; max_deliver 2 never dead-letters them.
  const std::vector<absl::Status> failures = {
      absl::UnavailableError("connection lost"), absl::ResourceExhaustedError("pool timeout"),
      absl::AbortedError("could not serialize"), absl::DeadlineExceededError("statement timeout"),
      absl::UnavailableError("connection lost"), absl::UnavailableError("connection lost")};
  std::atomic<int> calls{0};
  StartConsumer(
      [&](UnitOfWork& uow, const messaging::Message& m) -> absl::Status {
        const int call = calls++;
        if (call < static_cast<int>(failures.size())) return failures[call];
        if (call == static_cast<int>(failures.size())) return absl::InternalError("one rejection");
        return uow.tx()
            .Exec("INSERT INTO effects (msg_id, name) VALUES ($1, 'done')", {m.id})
            .status();
      },
      /*max_deliver=*/2, /*retry_base=*/absl::Milliseconds(20));
  const uint64_t dead_before = StreamCount("DEADLETTER");
  messaging::Message m = NewMessage("patient");
  PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  ASSERT_TRUE(WaitForEffects(1, absl::Seconds(30)));
  ASSERT_TRUE(CaughtUp());  // acked: after its attempts were settled
  EXPECT_EQ(calls.load(), static_cast<int>(failures.size()) + 2);
  EXPECT_EQ(StreamCount("DEADLETTER"), dead_before);
  EXPECT_EQ(ConsumerMetric("messaging_consumer_waits_total"), failures.size());
  // Handled: its attempts are forgotten.
  EXPECT_EQ(Query("SELECT count(*) FROM inbox_attempts"), 0);
}

TEST_F(PipelineTest, FailedDeadLetteringOnTheLastDeliveryIsRetriedNotLost) {
  std::atomic<int> calls{0};
  StartConsumer(
      [&](UnitOfWork&, const messaging::Message&) -> absl::Status {
        ++calls;
        return absl::InternalError("always broken");
      },
      /*max_deliver=*/2, /*retry_base=*/absl::Milliseconds(50));
  // No DEADLETTER stream at first: the dead-letter publish after the last delivery fails.
  jsErrCode jerr = jsErrCode(0);
  ASSERT_EQ(js_DeleteStream(nats_->js(), "DEADLETTER", nullptr, &jerr), NATS_OK);
  messaging::Message m = NewMessage("unlucky");
  PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  ASSERT_TRUE(testing::WaitUntil([&] { return calls.load() == 2; }, absl::Seconds(10)));
  ASSERT_TRUE(WaitForMetric(
      [&] { return ConsumerMetric("messaging_consumer_dead_letter_failures_total"); }, 1))
      << metrics_.Exposition();
  ASSERT_TRUE(messaging::EnsureStream(nats_->js(), messaging::DeadLetterStream(), false).ok());
  // Redelivered (the server's limit is not the consumer's), then dead-lettered unhandled.
  ASSERT_TRUE(
      testing::WaitUntil([&] { return StreamCount("DEADLETTER") == 1; }, absl::Seconds(15)));
  EXPECT_EQ(calls.load(), 2);
  messaging::NatsMsgPtr owned = LastDeadLetter();
  ASSERT_NE(owned, nullptr);
  natsMsg* dead = owned.get();
  EXPECT_THAT(messaging::Header(dead, "Mallbots-Dead-Reason"),
              HasSubstr("attempted 3 times; at most 2 allowed"));
}

TEST_F(PipelineTest, OversizedMessageIsRefusedWhenWritten) {
  auto uow = UnitOfWork::Begin(*pool_);
  ASSERT_TRUE(uow.ok());
  absl::Status s = uow->Publish(NewMessage(std::string(2 * 1024 * 1024, 'x')));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("bytes; at most"));
}

TEST_F(PipelineTest, PermanentFailureIsDeadLetteredAtOnceAndOthersInTheBatchSucceed) {
  StartConsumer([&](UnitOfWork& uow, const messaging::Message& m) -> absl::Status {
    if (m.payload == "invalid") return absl::InvalidArgumentError("the thing has no name");
    return uow.tx()
        .Exec("INSERT INTO effects (msg_id, body) VALUES ($1, $2)", {m.id, m.payload})
        .status();
  });
  const uint64_t dead_before = StreamCount("DEADLETTER");
  // One batch: good, invalid, good.
  for (const char* body : {"a", "invalid", "b"}) {
    messaging::Message m = NewMessage(body);
    PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  }
  ASSERT_TRUE(WaitForEffects(2));
  ASSERT_TRUE(testing::WaitUntil([&] { return StreamCount("DEADLETTER") == dead_before + 1; },
                                 absl::Seconds(10)));
  EXPECT_EQ(Effects(), 2);
}

TEST_F(PipelineTest, LongHandlerKeepsItsMessageWithoutRedelivery) {
  std::atomic<int> calls{0};
  messaging::PullConsumerOptions options{.service = "test",
                                         .consumer = {.stream = stream_,
                                                      .durable = "slow" + tag_,
                                                      .filter_subject = subject_,
                                                      .ack_wait = absl::Seconds(2)},
                                         .fetch_wait = absl::Milliseconds(200)};
  auto consumer = messaging::PullConsumer::Start(
      *nats_, options,
      TransactionalHandler(
          *pool_, "slow" + tag_,
          [&](UnitOfWork& uow, const messaging::Message& m) {
            ++calls;
            absl::SleepFor(absl::Seconds(5));  // 2.5 x the ack wait
            return uow.tx().Exec("INSERT INTO effects (msg_id) VALUES ($1)", {m.id}).status();
          }),
      metrics_);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  messaging::Message m = NewMessage("slow");
  PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  ASSERT_TRUE(WaitForEffects(1, absl::Seconds(20)));
  uint64_t deliveries = 0;
  ASSERT_TRUE(CaughtUp("slow" + tag_, &deliveries));
  EXPECT_EQ(deliveries, 1u);  // in-progress acks kept the server from redelivering
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(Effects(), 1);
}

TEST_F(PipelineTest, StopDrainsTheBatchInHand) {
  std::atomic<bool> started{false};
  StartConsumer([&](UnitOfWork& uow, const messaging::Message& m) {
    started = true;
    absl::SleepFor(absl::Milliseconds(500));
    return uow.tx().Exec("INSERT INTO effects (msg_id) VALUES ($1)", {m.id}).status();
  });
  messaging::Message m = NewMessage("draining");
  PublishRaw(subject_, messaging::EncodeEnvelope(m), m.id);
  ASSERT_TRUE(testing::WaitUntil([&] { return started.load(); }, absl::Seconds(10)));
  consumer_->Stop();  // returns after the handler finished and the message was acked
  EXPECT_EQ(Effects(), 1);
  // Nothing is left for the next consumer of the durable: it was acked, not abandoned.
  EXPECT_TRUE(CaughtUp());
}

TEST_F(PipelineTest, AConsumerWhoseStreamDoesNotExistYetStartsWhenItDoes) {
  // A context deployed before the one whose events it consumes.
  const std::string late = absl::StrCat("LATE", tag_);
  const std::string subject = absl::StrCat("late", tag_, ".events.Thing");
  messaging::PullConsumerOptions options{
      .service = "test",
      .consumer = {.stream = late, .durable = "late" + tag_, .filter_subject = subject},
      .fetch_wait = absl::Milliseconds(200)};
  auto consumer = messaging::PullConsumer::Start(
      *nats_, options, TransactionalHandler(*pool_, "late" + tag_, RecordEffect(), 5), metrics_);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE(messaging::EnsureStream(nats_->js(), {.name = late, .subjects = {subject}}).ok());
  messaging::Message m = NewMessage("late", subject);
  PublishRaw(subject, messaging::EncodeEnvelope(m), m.id);
  EXPECT_TRUE(WaitForEffects(1, absl::Seconds(10)));
  (*consumer)->Stop();
  // Stopped before its stream exists: it stops at once.
  options.consumer.stream = late + "X";
  options.consumer.durable = "never" + tag_;
  auto never = messaging::PullConsumer::Start(
      *nats_, options, TransactionalHandler(*pool_, "never" + tag_, RecordEffect(), 5), metrics_);
  ASSERT_TRUE(never.ok()) << never.status();
  const absl::Time t0 = absl::Now();
  (*never)->Stop();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(1));
}

TEST_F(PipelineTest, ConsumerConfigurationMismatchIsReported) {
  messaging::ConsumerSpec spec{
      .stream = stream_, .durable = "cfg" + tag_, .filter_subject = subject_};
  ASSERT_TRUE(messaging::EnsureConsumer(nats_->js(), spec).ok());
  ASSERT_TRUE(messaging::EnsureConsumer(nats_->js(), spec).ok());  // idempotent
  spec.ack_wait = absl::Seconds(45);                               // changeable in place
  EXPECT_TRUE(messaging::EnsureConsumer(nats_->js(), spec).ok());
  spec.filter_subject = absl::StrCat("t", tag_, ".other");  // not changeable
  absl::Status s = messaging::EnsureConsumer(nats_->js(), spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("filter=" + subject_));
  EXPECT_THAT(s.message(), HasSubstr("wanted filter=t" + tag_ + ".other"));
}

TEST_F(PipelineTest, RelayPrunesPublishedRowsAndExportsItsMetrics) {
  relay_ = Relay::Start({.pg_dsn = dsn_,
                         .nats = {.url = testing::SharedNats().url()},
                         .poll_interval = absl::Milliseconds(100),
                         .retention = absl::ZeroDuration(),
                         .prune_every = absl::Milliseconds(100)},
                        metrics_);
  StartConsumer(RecordEffect());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Produce(NewMessage("p")).ok());
  ASSERT_TRUE(WaitForEffects(5));
  ASSERT_TRUE(testing::WaitUntil([&] { return Query("SELECT count(*) FROM outbox") == 0; },
                                 absl::Seconds(10)));
  const std::string text = metrics_.Exposition();
  EXPECT_THAT(text, HasSubstr("outbox_published_total 5"));
  EXPECT_THAT(text, HasSubstr("outbox_pending_messages 0"));
  EXPECT_THAT(text, HasSubstr("outbox_relay_leader 1"));
  EXPECT_THAT(text, HasSubstr("messaging_consumer_handled_total{consumer=\"c" + tag_ +
                              "\",name=\"test.Thing\"} 5"));
}

// Pruning keeps up with any rate: a prune that deletes a full chunk is followed by the next
// chunk shortly, not one prune_every later.
TEST_F(PipelineTest, RelayPrunesChunkAfterChunkUntilNothingIsDue) {
  relay_ = Relay::Start({.pg_dsn = dsn_,
                         .nats = {.url = testing::SharedNats().url()},
                         .retention = absl::ZeroDuration(),
                         .inbox_retention = absl::ZeroDuration(),
                         .prune_every = absl::Seconds(10),
                         .prune_chunk = 2},
                        metrics_);
  StartConsumer(RecordEffect());
  ASSERT_TRUE(testing::WaitUntil([&] { return relay_->leader(); }, absl::Seconds(10)));
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(Produce(NewMessage("p")).ok());
  ASSERT_TRUE(WaitForEffects(12));
  ASSERT_TRUE(AllMarked());
  EXPECT_EQ(Query("SELECT count(*) FROM inbox"), 12);
  // Six chunks per table: one every prune_every would take a minute; chained, the first prune
  // after the rows were written (within 10 s) takes them all within a second.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        return Query("SELECT count(*) FROM outbox") + Query("SELECT count(*) FROM inbox") == 0;
      },
      absl::Seconds(15)))
      << Query("SELECT count(*) FROM outbox") << " outbox rows, "
      << Query("SELECT count(*) FROM inbox") << " inbox rows left";
}

TEST_F(PipelineTest, CommandGetsExactlyOneReplyWithCorrelation) {
  const std::string commands = absl::StrCat("t", tag_, ".commands");
  const std::string replies = absl::StrCat("t", tag_, ".replies.CreateOrder");
  // Handler: fails for "disabled", succeeds otherwise; writes an effect either way (rolled back
  // on failure). The first attempt at "ok" meets an infrastructure failure: no reply for it, the
  // command is tried again.
  std::atomic<int> ok_attempts{0};
  MessageHandler handler =
      CommandAdapter([&ok_attempts](UnitOfWork& uow, const messaging::Message& m) {
        absl::Status effect =
            uow.tx()
                .Exec("INSERT INTO effects (msg_id, name, body) VALUES ($1, $2, $3)",
                      {m.id, m.name, m.payload})
                .status();
        if (!effect.ok()) return CommandResult{effect};
        if (m.payload == "ok" && ok_attempts++ == 0) {
          return CommandResult{absl::UnavailableError("the database went away")};
        }
        if (m.payload == "disabled")
          return CommandResult{absl::FailedPreconditionError("customer is disabled")};
        return CommandResult{};
      });
  messaging::PullConsumerOptions options{
      .service = "test",
      .consumer = {.stream = stream_, .durable = "cmd" + tag_, .filter_subject = commands},
      .fetch_wait = absl::Milliseconds(200)};
  auto consumer = messaging::PullConsumer::Start(
      *nats_, options, TransactionalHandler(*pool_, "cmd" + tag_, handler), metrics_);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  StartRelay();

  std::string ok_id, failed_id;
  for (const char* payload : {"ok", "disabled"}) {
    auto uow = UnitOfWork::Begin(*pool_);
    ASSERT_TRUE(uow.ok());
    auto id = SendCommand(*uow, {.subject = commands,
                                 .name = "customersapi.AuthorizeCustomer",
                                 .payload = payload,
                                 .reply_channel = replies,
                                 .saga_id = std::string("saga-") + payload,
                                 .saga_name = "cosec.CreateOrder"});
    ASSERT_TRUE(id.ok());
    (std::string(payload) == "ok" ? ok_id : failed_id) = *id;
    ASSERT_TRUE(uow->Commit().ok());
  }
  ASSERT_TRUE(
      testing::WaitUntil([&] { return StreamCount(stream_, replies) == 2; }, absl::Seconds(20)));
  // Redeliver the first command (as after a lost ack): no second reply, no second effect.
  auto conn = pg::Connection::Open(dsn_);
  auto row = conn->Exec("SELECT data FROM outbox WHERE id = $1", {ok_id});
  ASSERT_TRUE(row.ok() && row->rows() == 1);
  PublishRaw(commands, *row->Bytes(0, 0), ok_id + "-again");
  ASSERT_TRUE(WaitForMetric(
      [&] {
        return ConsumerMetric("messaging_consumer_duplicates_total", "cmd" + tag_,
                              "customersapi.AuthorizeCustomer");
      },
      1))
      << metrics_.Exposition();
  ASSERT_TRUE(AllMarked());  // a reply it had sent would be on the stream now
  EXPECT_EQ(StreamCount(stream_, replies), 2u);
  EXPECT_EQ(Query("SELECT count(*) FROM effects"), 1);  // the failed command's effect rolled back
  EXPECT_EQ(ok_attempts.load(), 2);

  // Read both replies back from the stream.
  std::map<std::string, messaging::Message> by_saga;
  for (uint64_t seq = 1; seq <= StreamCount(stream_); ++seq) {
    natsMsg* raw = nullptr;
    jsErrCode jerr = jsErrCode(0);
    if (js_GetMsg(&raw, nats_->js(), stream_.c_str(), seq, nullptr, &jerr) != NATS_OK) continue;
    messaging::NatsMsgPtr msg(raw);
    if (std::string(natsMsg_GetSubject(raw)) != replies) continue;
    auto reply = messaging::DecodeEnvelope(
        replies, std::string(natsMsg_GetData(raw), natsMsg_GetDataLength(raw)));
    ASSERT_TRUE(reply.ok());
    by_saga[reply->metadata["REPLY_SAGA_ID"]] = *reply;
  }
  ASSERT_EQ(by_saga.size(), 2u);
  const messaging::Message& success = by_saga["saga-ok"];
  EXPECT_EQ(success.name, "am.Success");
  EXPECT_EQ(success.metadata.at("REPLY_OUTCOME"), "SUCCESS");
  EXPECT_EQ(success.metadata.at("REPLY_SAGA_NAME"), "cosec.CreateOrder");
  EXPECT_EQ(success.metadata.at("REPLY_REPLY_CHANNEL"), replies);
  const messaging::Message& failure = by_saga["saga-disabled"];
  EXPECT_EQ(failure.name, "am.Failure");
  EXPECT_EQ(failure.metadata.at("REPLY_OUTCOME"), "FAILURE");
  (*consumer)->Stop();
}

}  // namespace
}  // namespace eda::outbox
