// The service runtime against real PostgreSQL and NATS: configuration, migrations, streams from
// the topology, relay and consumers wired together, readiness, and shutdown on a signal.
#include "libs/service/runtime.h"

#include <httplib.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/shutdown.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/testing/harness.h"

namespace eda::service {
namespace {

using ::testing::HasSubstr;

TEST(SettingsTest, EveryProblemIsReportedByName) {
  unsetenv("PG_CONN");
  unsetenv("NATS_URL");
  const char* argv[] = {"svc", "--rpc-port=abc", "--log-level=LOUD"};
  absl::StatusOr<Settings> s = Settings::Load("svc", 3, argv);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("PG_CONN (flag --pg-conn): is required"));
  EXPECT_THAT(s.status().message(), HasSubstr("NATS_URL (flag --nats-url): is required"));
  EXPECT_THAT(s.status().message(), HasSubstr("RPC_PORT (flag --rpc-port): 'abc' is not a port"));
  EXPECT_THAT(s.status().message(), HasSubstr("LOG_LEVEL (flag --log-level): 'LOUD'"));
}

TEST(RuntimeTest, StartsWiresAndStopsOnSignal) {
  testing::TempDir dir;
  const std::string tag = RandomHex(3);
  const std::string topology = dir.path() + "/topology.conf";
  std::ofstream(topology) << "stream svc T" << tag << " t" << tag << ".>\n"
                          << "publish svc t" << tag << ".events.Thing\n"
                          << "consume svc svc-things T" << tag << " t" << tag << ".events.Thing\n";
  auto dsn = testing::SharedPostgres().CreateDatabase();
  ASSERT_TRUE(dsn.ok());
  const std::string pg = "--pg-conn=" + *dsn;
  const std::string nats = "--nats-url=" + testing::SharedNats().url();
  const std::string topo = "--topology-file=" + topology;
  const char* argv[] = {"svc",
                        pg.c_str(),
                        nats.c_str(),
                        topo.c_str(),
                        "--rpc-host=127.0.0.1",
                        "--rpc-port=0",
                        "--web-host=127.0.0.1",
                        "--web-port=0"};
  absl::StatusOr<Settings> settings = Settings::Load("svc", 8, argv);
  ASSERT_TRUE(settings.ok()) << settings.status();

  std::vector<pg::Migration> migrations = {
      {100, "things", "CREATE TABLE things (id text PRIMARY KEY)"}};
  auto rt = Runtime::Start(*settings, migrations);
  ASSERT_TRUE(rt.ok()) << rt.status();
  // A service migration numbered in the platform's range is refused.
  EXPECT_EQ(Runtime::Start(*settings, {{5, "bad", "SELECT 1"}}).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto versions = pg::Connection::Open(*dsn)->Exec("SELECT count(*) FROM schema_migrations");
  EXPECT_EQ(*versions->Int(0, 0), 5);  // platform 1 to 4, service 100

  EXPECT_EQ((*rt)->Consume("not-ours", nullptr).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((*rt)
                  ->Consume("svc-things",
                            [](outbox::UnitOfWork& uow, const messaging::Message& m) {
                              uow.Defer("INSERT INTO things (id) VALUES ($1)", {m.id});
                              return absl::OkStatus();
                            })
                  .ok());
  // A message published through the outbox comes back through the relay and the consumer.
  ASSERT_TRUE(outbox::RunUnitOfWork((*rt)->pool(), [&](outbox::UnitOfWork& uow) {
                return uow.Publish({.id = NewUuid(),
                                    .name = "test.Thing",
                                    .subject = absl::StrCat("t", tag, ".events.Thing")});
              }).ok());
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto n = pg::Connection::Open(*dsn)->Exec("SELECT count(*) FROM things");
        return n.ok() && *n->Int(0, 0) == 1;
      },
      absl::Seconds(10)));

  httplib::Client ops("127.0.0.1", (*rt)->ops().port());
  auto not_yet = ops.Get("/readyz");  // gRPC is not serving yet
  ASSERT_TRUE(not_yet);
  EXPECT_EQ(not_yet->status, 503);
  EXPECT_THAT(not_yet->body, HasSubstr("not serving yet"));
  auto metrics = ops.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("outbox_published_total 1"));

  std::atomic<int> exit_code{-1};
  std::thread serving([&] { exit_code = (*rt)->Serve({}); });
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        auto r = ops.Get("/readyz");
        return r && r->status == 200;
      },
      absl::Seconds(5)));
  ShutdownSignal::Install().Trigger("test");
  serving.join();
  EXPECT_EQ(exit_code.load(), 0);
}

}  // namespace
}  // namespace eda::service
