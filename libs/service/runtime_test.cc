// The service runtime against real PostgreSQL and NATS: configuration, migrations, streams from
// the topology, relay and consumers wired together, readiness, and shutdown on a signal.
#include "libs/service/runtime.h"

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/shutdown.h"
#include "libs/messaging/nats.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/testing/harness.h"
#include "proto/admin/admin_service.grpc.pb.h"

namespace eda::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

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

TEST(RuntimeTest, APeerTheTopologyDeclaresNeedsAnAddress) {
  testing::TempDir dir;
  const std::string topology = dir.path() + "/topology.conf";
  std::ofstream(topology) << "call svc stores\n";
  const std::string topo = "--topology-file=" + topology;
  std::vector<const char*> argv = {"svc", "--pg-conn=host=127.0.0.1 port=1",
                                   "--nats-url=nats://127.0.0.1:1", topo.c_str()};
  absl::StatusOr<Settings> settings =
      Settings::Load("svc", static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(settings.ok()) << settings.status();
  // Refused before anything is connected.
  EXPECT_EQ(Runtime::Start(*settings, {}).status().message(),
            "RPC_SERVICES has no address for STORES (svc calls stores in the topology)");
  argv.push_back("--rpc-services=STORES=127.0.0.1:9000,CUSTOMERS=127.0.0.1:9001");
  settings = Settings::Load("svc", static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->rpc_services,
              ElementsAre(Pair("customers", "127.0.0.1:9001"), Pair("stores", "127.0.0.1:9000")));
  argv.back() = "--rpc-services=STORES";
  EXPECT_THAT(
      std::string(
          Settings::Load("svc", static_cast<int>(argv.size()), argv.data()).status().message()),
      HasSubstr("RPC_SERVICES (flag --rpc-services): RPC_SERVICES: 'STORES' is not "
                "NAME=host:port"));
}

// STREAM_REPLICAS beyond what the JetStream server has: the start fails, naming the stream (a
// 3-node cluster takes 3: tests/scaleout).
TEST(RuntimeTest, MoreStreamReplicasThanServersFailTheStartByName) {
  testing::TempDir dir;
  const std::string tag = RandomHex(3);
  const std::string topology = dir.path() + "/topology.conf";
  std::ofstream(topology) << "stream svc R" << tag << " r" << tag << ".events.>\n"
                          << "publish svc r" << tag << ".events.Thing\n";
  auto dsn = testing::SharedPostgres().CreateServiceDatabase("svc");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto server = testing::NatsServer::StartFromTopology(topology);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string pg = "--pg-conn=" + *dsn;
  const std::string nats = "--nats-url=" + (*server)->url();
  const std::string password = "--nats-password=" + (*server)->Password("svc");
  const std::string topo = "--topology-file=" + topology;
  const char* argv[] = {
      "svc",        pg.c_str(),     nats.c_str(),   "--nats-user=svc", password.c_str(),
      topo.c_str(), "--rpc-port=0", "--web-port=0", "--admin-port=0",  "--stream-replicas=3"};
  absl::StatusOr<Settings> settings =
      Settings::Load("svc", static_cast<int>(std::size(argv)), argv);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->stream_replicas, 3);
  auto rt = Runtime::Start(*settings, {});
  ASSERT_FALSE(rt.ok());
  EXPECT_THAT(rt.status().message(), HasSubstr("R" + tag));
  argv[std::size(argv) - 1] = "--stream-replicas=9";
  EXPECT_THAT(
      std::string(
          Settings::Load("svc", static_cast<int>(std::size(argv)), argv).status().message()),
      HasSubstr("STREAM_REPLICAS (flag --stream-replicas)"));
}

TEST(RuntimeTest, StartsWiresAndStopsOnSignal) {
  // The process's shutdown signal fires once, as a process shuts down once: this test runs once
  // per process (later runs of --gtest_repeat are skipped).
  if (ShutdownSignal::Install().requested()) GTEST_SKIP() << "shutdown was already signalled";
  testing::TempDir dir;
  const std::string tag = RandomHex(3);
  const std::string topology = dir.path() + "/topology.conf";
  std::ofstream(topology) << "stream svc T" << tag << " t" << tag << ".events.>\n"
                          << "stream svc C" << tag << " t" << tag
                          << ".commands max_age=1h max_bytes=1MiB discard=new\n"
                          << "stream * DEADLETTER mallbots.deadletter.> max_age=2h max_bytes=2MiB "
                             "discard=new\n"
                          << "publish svc t" << tag << ".events.Thing\n"
                          << "consume svc svc-things T" << tag << " t" << tag << ".events.Thing\n";
  auto dsn = testing::SharedPostgres().CreateServiceDatabase("svc");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  // The NATS users and permissions the local stack derives from this topology: the runtime
  // provisions, publishes and consumes as the user svc, replies on its own inbox prefix.
  auto server = testing::NatsServer::StartFromTopology(topology);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string pg = "--pg-conn=" + *dsn;
  const std::string nats = "--nats-url=" + (*server)->url();
  const std::string password = "--nats-password=" + (*server)->Password("svc");
  const std::string topo = "--topology-file=" + topology;
  const char* argv[] = {"svc",
                        pg.c_str(),
                        nats.c_str(),
                        "--nats-user=svc",
                        password.c_str(),
                        topo.c_str(),
                        "--rpc-host=127.0.0.1",
                        "--rpc-port=0",
                        "--web-host=127.0.0.1",
                        "--web-port=0",
                        "--admin-port=0",
                        "--admin-token=s3cret"};
  absl::StatusOr<Settings> settings =
      Settings::Load("svc", static_cast<int>(std::size(argv)), argv);
  ASSERT_TRUE(settings.ok()) << settings.status();

  std::vector<pg::Migration> migrations = {
      {100, "things", "CREATE TABLE things (id text PRIMARY KEY)"}};
  auto rt = Runtime::Start(*settings, migrations);
  ASSERT_TRUE(rt.ok()) << rt.status();
  // A service migration numbered in the platform's range is refused.
  EXPECT_EQ(Runtime::Start(*settings, {{5, "bad", "SELECT 1"}}).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto versions = pg::Connection::Open(*dsn)->Exec("SELECT count(*) FROM schema_migrations");
  EXPECT_EQ(*versions->Int(0, 0), 9);  // platform 1 to 8, service 100

  // Streams with the topology's limits: the events kept in full, the commands and the shared
  // dead letters (which the service may update, as every consuming service) bounded.
  {
    auto admin_nats = messaging::Connection::Connect(
        {.url = (*server)->url(), .user = "admin", .password = (*server)->Password("admin")});
    ASSERT_TRUE(admin_nats.ok()) << admin_nats.status();
    auto limits = [&](const std::string& stream) {
      jsStreamInfo* si = nullptr;
      jsErrCode jerr = jsErrCode(0);
      std::string out = "missing";
      if (js_GetStreamInfo(&si, (*admin_nats)->js(), stream.c_str(), nullptr, &jerr) == NATS_OK) {
        out =
            absl::StrCat(absl::FormatDuration(absl::Nanoseconds(si->Config->MaxAge)), " ",
                         si->Config->MaxBytes, si->Config->Discard == js_DiscardNew ? " new" : "");
      }
      jsStreamInfo_Destroy(si);
      return out;
    };
    EXPECT_EQ(limits("T" + tag), "0 -1");
    EXPECT_EQ(limits("C" + tag), "1h 1048576 new");
    EXPECT_EQ(limits("DEADLETTER"), "2h 2097152 new");
  }

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
  EXPECT_THAT(not_yet->body, HasSubstr("postgres"));  // the health probe, which answers
  auto metrics = ops.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("outbox_published_total 1"));
  // What the binary was built from (this tree's CMake cache sets no commit).
  EXPECT_THAT(metrics->body,
              HasSubstr(absl::StrCat("mallbots_build_info{commit=\"unknown\",version=\"",
                                     EDA_VERSION, "\"} 1")));
  // The reference's series (spec §9.1), under the message's name and "all".
  EXPECT_THAT(metrics->body, HasSubstr("svc_sent_messages_count{message=\"test.Thing\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("svc_sent_messages_count{message=\"all\"} 1"));
  EXPECT_THAT(metrics->body,
              HasSubstr("svc_received_messages_count{handled=\"true\",message=\"test.Thing\"} 1"));
  EXPECT_THAT(metrics->body,
              HasSubstr("svc_received_messages_count{handled=\"true\",message=\"all\"} 1"));
  EXPECT_THAT(metrics->body,
              HasSubstr("svc_received_messages_latency_seconds_count{handled=\"true\",message="
                        "\"test.Thing\"} 1"));

  std::atomic<int> exit_code{-1};
  std::thread serving([&] { exit_code = (*rt)->Serve({}); });
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        auto r = ops.Get("/readyz");
        return r && r->status == 200;
      },
      absl::Seconds(5)));

  // The admin API, on its own port, with the token.
  ASSERT_GT((*rt)->admin_port(), 0);
  auto admin = adminpb::AdminService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*rt)->admin_port()), grpc::InsecureChannelCredentials()));
  auto call = [&](bool with_token, auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    if (with_token) ctx.AddMetadata("authorization", "Bearer s3cret");
    return (admin.get()->*method)(&ctx, req, resp);
  };
  adminpb::GetInfoResponse info;
  grpc::Status s =
      call(false, &adminpb::AdminService::Stub::GetInfo, adminpb::GetInfoRequest(), &info);
  EXPECT_EQ(s.error_code(), grpc::UNAUTHENTICATED);
  s = call(true, &adminpb::AdminService::Stub::GetInfo, adminpb::GetInfoRequest(), &info);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(info.service(), "svc");
  EXPECT_EQ(info.schema_version(), 100);
  EXPECT_THAT(info.streams(), ElementsAre("T" + tag, "C" + tag));
  EXPECT_THAT(info.consumers(), ElementsAre("svc-things"));
  // The relay marks the published row within its mark delay, after the publish was counted.
  adminpb::GetOutboxResponse outbox;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        s = call(true, &adminpb::AdminService::Stub::GetOutbox, adminpb::GetOutboxRequest(),
                 &outbox);
        return s.ok() && outbox.unpublished() == 0;
      },
      absl::Seconds(5)))
      << s.error_message() << " unpublished " << outbox.unpublished();
  adminpb::ListProcessedRequest processed_req;
  processed_req.set_consumer("svc-things");
  adminpb::ListProcessedResponse processed;
  s = call(true, &adminpb::AdminService::Stub::ListProcessed, processed_req, &processed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(processed.messages_size(), 1);
  EXPECT_EQ(processed.messages(0).name(), "test.Thing");
  processed_req.set_consumer("not-ours");
  s = call(true, &adminpb::AdminService::Stub::ListProcessed, processed_req, &processed);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "svc has no durable consumer named not-ours");

  // Outbox rows the relay gave up on: listed, discarded, re-sent.
  ASSERT_TRUE(pg::Connection::Open(*dsn)
                  ->Exec("INSERT INTO outbox_dead (seq, id, name, subject, data, sent_at, "
                         "aggregate_id, aggregate_seq, attempts, last_error) VALUES "
                         "(1000, 'dead-1', 'test.Thing', 'nowhere.events.Thing', '\\x00', now(), "
                         "'agg-1', 3, 5, 'no responders'), "
                         "(1001, 'dead-2', 'test.Thing', 'nowhere.events.Thing', '\\x00', now(), "
                         "NULL, NULL, 5, 'too large')")
                  .ok());
  adminpb::ListDeadOutboxResponse dead;
  s = call(true, &adminpb::AdminService::Stub::ListDeadOutbox, adminpb::ListDeadOutboxRequest(),
           &dead);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(dead.total(), 2);
  ASSERT_EQ(dead.rows_size(), 2);
  EXPECT_EQ(dead.rows(0).seq(), 1000);
  EXPECT_EQ(dead.rows(0).aggregate_id(), "agg-1");
  EXPECT_EQ(dead.rows(0).aggregate_seq(), 3);
  EXPECT_EQ(dead.rows(0).last_error(), "no responders");
  adminpb::DeadOutboxSelection selection;
  adminpb::DeadOutboxChange change;
  s = call(true, &adminpb::AdminService::Stub::DiscardDeadOutbox, selection, &change);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "name the rows by their seqs, or set all (not both)");
  selection.add_seqs(1001);
  s = call(true, &adminpb::AdminService::Stub::DiscardDeadOutbox, selection, &change);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(change.rows(), 1);
  selection.Clear();
  selection.set_all(true);
  s = call(true, &adminpb::AdminService::Stub::ResendDeadOutbox, selection, &change);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(change.rows(), 1);
  auto back = pg::Connection::Open(*dsn)->Exec(
      "SELECT count(*) FROM outbox WHERE id = 'dead-1' AND seq = 1000");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back->Int(0, 0), 1);  // back in its place (five failed tries take 750 ms at least)

  ShutdownSignal::Install().Trigger("test");
  serving.join();
  EXPECT_EQ(exit_code.load(), 0);
}

}  // namespace
}  // namespace eda::service
