// Scale-out, proven with real processes on one machine: a 3-node nats-server cluster on loopback
// whose streams keep 3 replicas (every service runs with --stream-replicas=3), every service as
// two replicas (separate processes on the same database, sharing its durables and its relay
// lock), the robots, and a steady load of orders through the whole flow (tools/loadgen). Faults
// come in turn while the load runs: a NATS node killed with -9 and started again, then one
// replica of several services killed with -9 (for ordering, the one leading its relay: the lead
// moves to the other) and started again. After each fault the flow goes on (the ordering stream
// grows), and at the end every business invariant holds: nothing lost, nothing applied twice.
//
// SCALEOUT_FULL=1 (`make scaleout`): every NATS node in turn and a replica of every service; the
// default (`make test`): one NATS node and the replicas of ordering, payments and cosec.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "libs/messaging/nats.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "tools/loadgen/loadgen.h"

namespace mallbots {
namespace {

namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;

constexpr int kReplicas = 2;

// The services in the order they start (a peer before its callers), with their binaries' variable.
const std::vector<std::pair<std::string, std::string>>& Services() {
  static const auto* services =
      new std::vector<std::pair<std::string, std::string>>{{"stores", "STORES_BIN"},
                                                           {"customers", "CUSTOMERS_BIN"},
                                                           {"baskets", "BASKETS_BIN"},
                                                           {"ordering", "ORDERING_BIN"},
                                                           {"payments", "PAYMENTS_BIN"},
                                                           {"depot", "DEPOT_BIN"},
                                                           {"notifications", "NOTIFICATIONS_BIN"},
                                                           {"search", "SEARCH_BIN"},
                                                           {"cosec", "COSEC_BIN"}};
  return *services;
}

class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pg = testing::PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
    auto nats = testing::NatsServer::StartClusterFromTopology(3);
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = *std::move(nats);
    const std::string cluster = testing::NatsServer::ClusterUrl(nats_);
    auto admin = messaging::Connection::Connect({.url = cluster,
                                                 .user = "admin",
                                                 .password = nats_[0]->Password("admin"),
                                                 .name = "scaleout-test"});
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *std::move(admin);
    // Every node in the meta group: a stream of 3 replicas can be placed.
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          jsStreamConfig cfg;
          jsStreamConfig_Init(&cfg);
          cfg.Name = "SCALEOUT_PROBE";
          const char* subjects[] = {"scaleout.probe"};
          cfg.Subjects = subjects;
          cfg.SubjectsLen = 1;
          cfg.Replicas = 3;
          jsStreamInfo* info = nullptr;
          jsErrCode jerr = jsErrCode(0);
          if (js_AddStream(&info, admin_->js(), &cfg, nullptr, &jerr) != NATS_OK) return false;
          jsStreamInfo_Destroy(info);
          return js_DeleteStream(admin_->js(), "SCALEOUT_PROBE", nullptr, &jerr) == NATS_OK;
        },
        absl::Seconds(60)))
        << "no stream of 3 replicas could be placed on the cluster";
    for (const auto& [name, binary_env] : Services()) {
      const char* binary = std::getenv(binary_env.c_str());
      ASSERT_TRUE(binary != nullptr && *binary != '\0') << binary_env << " (ctest sets it)";
      auto dsn = pg_->CreateServiceDatabase(name);
      ASSERT_TRUE(dsn.ok()) << dsn.status();
      std::vector<std::string> args = {"--stream-replicas=3"};
      std::vector<std::string> rpc;
      auto peers = testing::TopologyPeersOf(name);
      ASSERT_TRUE(peers.ok()) << peers.status();
      for (const std::string& peer : *peers) {
        ASSERT_TRUE(replicas_.count(peer)) << name << " calls " << peer << ", not started yet";
        rpc.push_back(absl::StrCat(absl::AsciiStrToUpper(peer), "=", Target(peer, 0)));
      }
      if (!rpc.empty()) args.push_back("--rpc-services=" + absl::StrJoin(rpc, ","));
      const testing::ServiceUnderTest::Backing backing{
          .dsn = *dsn, .nats_url = cluster, .nats_password = nats_[0]->Password(name)};
      for (int r = 0; r < kReplicas; ++r) {
        auto replica = testing::ServiceUnderTest::StartOn(binary, name, backing, args);
        ASSERT_TRUE(replica.ok()) << name << " replica " << r << ": " << replica.status();
        replicas_[name].push_back(*std::move(replica));
      }
    }
    bots_log_ = dir_.path() + "/bots.log";
    auto bots = testing::Process::Start({std::getenv("BOTS_BIN"), "--depot=" + Both("depot"),
                                         "--bots=4", "--bot-stop-time=50ms", "--bot-poll=50ms"},
                                        {.log_file = bots_log_});
    ASSERT_TRUE(bots.ok()) << bots.status();
    bots_ = *std::move(bots);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const auto& [name, replicas] : replicas_) {
        for (size_t r = 0; r < replicas.size(); ++r) {
          std::cerr << "--- " << name << " replica " << r << " (tail) ---\n"
                    << replicas[r]->LogTail(10) << "\n";
        }
      }
      for (size_t i = 0; i < nats_.size(); ++i) {
        std::cerr << "--- nats node " << i << " (tail) ---\n" << nats_[i]->LogTail(10) << "\n";
      }
    }
    if (bots_ != nullptr) bots_->Stop(SIGTERM);
    admin_.reset();
    for (auto it = Services().rbegin(); it != Services().rend(); ++it) replicas_.erase(it->first);
  }

  std::string Target(const std::string& service, int replica) const {
    return replicas_.at(service)[static_cast<size_t>(replica)]->grpc_target();
  }
  // Both replicas as one gRPC target: a client goes on with the other when one is gone.
  std::string Both(const std::string& service) const {
    std::vector<std::string> addresses;
    for (const auto& replica : replicas_.at(service)) addresses.push_back(replica->grpc_target());
    return "ipv4:" + absl::StrJoin(addresses, ",");
  }

  // Messages stored on the ORDERING stream (the cluster's view; asked again while the admin's
  // connection moves off a node just lost). Fails the test when no node answers for 30 s.
  uint64_t OrderingMessages() {
    uint64_t msgs = 0;
    const bool answered = testing::WaitUntil(
        [&] {
          jsStreamInfo* info = nullptr;
          jsErrCode jerr = jsErrCode(0);
          if (js_GetStreamInfo(&info, admin_->js(), "ORDERING", nullptr, &jerr) != NATS_OK) {
            return false;
          }
          msgs = info->State.Msgs;
          jsStreamInfo_Destroy(info);
          return true;
        },
        absl::Seconds(30));
    EXPECT_TRUE(answered) << "no NATS node told the ORDERING stream's state for 30 s";
    return msgs;
  }
  // The flow goes on: the ordering stream grows by `more` messages within `within`.
  void ExpectTheFlowGoesOn(const std::string& after, uint64_t more = 20,
                           absl::Duration within = absl::Seconds(45)) {
    const uint64_t from = OrderingMessages();
    const bool grew = testing::WaitUntil([&] { return OrderingMessages() >= from + more; }, within);
    EXPECT_TRUE(grew) << "after " << after << ": the ordering stream went from " << from << " to "
                      << OrderingMessages() << " in " << within;
    std::cerr << "scaleout: after " << after << ", the flow went on (" << from << " -> "
              << OrderingMessages() << " messages on ORDERING)\n";
  }

  std::unique_ptr<testing::PostgresServer> pg_;
  std::vector<std::unique_ptr<testing::NatsServer>> nats_;
  std::map<std::string, std::vector<std::unique_ptr<testing::ServiceUnderTest>>> replicas_;
  testing::TempDir dir_{"eda-scaleout"};
  std::string bots_log_;
  std::unique_ptr<testing::Process> bots_;
  std::unique_ptr<messaging::Connection> admin_;
};

// Stops the load and waits for it, however the test leaves (an ASSERT returns early).
class LoadGuard final {
 public:
  LoadGuard(std::atomic<bool>& stop, std::thread& load) : stop_(stop), load_(load) {}
  ~LoadGuard() {
    stop_ = true;
    if (load_.joinable()) load_.join();
  }

 private:
  std::atomic<bool>& stop_;
  std::thread& load_;
};

TEST_F(ScaleOutTest, TheFlowSurvivesANatsNodeAndAReplicaOfEachServiceLost) {
  const char* full_env = std::getenv("SCALEOUT_FULL");
  const bool full = full_env != nullptr && std::string(full_env) == "1";
  // The streams keep 3 replicas on the cluster.
  {
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = jsErrCode(0);
    ASSERT_EQ(js_GetStreamInfo(&info, admin_->js(), "ORDERING", nullptr, &jerr), NATS_OK);
    EXPECT_EQ(info->Config->Replicas, 3);
    jsStreamInfo_Destroy(info);
  }
  std::atomic<bool> stop{false};
  loadgen::Report report;
  std::thread load;
  LoadGuard guard(stop, load);
  load = std::thread([&] {
    loadgen::Options options{.customers = 4,
                             .seed = 7,
                             .report_every = absl::ZeroDuration(),
                             .settle_timeout = absl::Seconds(90),
                             .search = Both("search"),
                             .bots_log = bots_log_,
                             .stop = [&] { return stop.load(); }};
    report = loadgen::Run(options,
                          {.stores = Both("stores"),
                           .customers = Both("customers"),
                           .baskets = Both("baskets"),
                           .ordering = Both("ordering"),
                           .payments = Both("payments"),
                           .depot = Both("depot")},
                          std::cerr);
  });
  ExpectTheFlowGoesOn("the start");

  // A NATS node lost (kill -9) and back: the streams keep a quorum of two.
  const int nodes = full ? static_cast<int>(nats_.size()) : 1;
  for (int i = 0; i < nodes && !HasFailure(); ++i) {
    const int node = (i + 1) % static_cast<int>(nats_.size());
    nats_[static_cast<size_t>(node)]->Stop(SIGKILL);
    ExpectTheFlowGoesOn(absl::StrCat("NATS node ", node, " killed"));
    ASSERT_TRUE(nats_[static_cast<size_t>(node)]->Restart().ok());
    ExpectTheFlowGoesOn(absl::StrCat("NATS node ", node, " back"));
  }

  // ordering's relay leader lost: the other replica takes the lead.
  auto& ordering = replicas_.at("ordering");
  int leader = -1;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (int r = 0; r < kReplicas; ++r) {
          if (ordering[static_cast<size_t>(r)]->Metric("outbox_relay_leader") == 1) leader = r;
        }
        return leader >= 0;
      },
      absl::Seconds(20)))
      << "no ordering replica leads its relay";
  const int other = 1 - leader;
  ordering[static_cast<size_t>(leader)]->Stop(SIGKILL);
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return ordering[static_cast<size_t>(other)]->Metric("outbox_relay_leader") == 1; },
      absl::Seconds(30)))
      << "the relay lead did not move to ordering replica " << other;
  ExpectTheFlowGoesOn(absl::StrCat("ordering replica ", leader, " (the relay leader) killed"));
  ASSERT_TRUE(ordering[static_cast<size_t>(leader)]->Restart(SIGKILL).ok());

  // A replica of other services lost and back.
  std::vector<std::string> victims = {"payments", "cosec"};
  if (full) {
    victims.clear();
    for (const auto& [name, unused] : Services()) {
      if (name != "ordering") victims.push_back(name);
    }
  }
  for (const std::string& name : victims) {
    if (HasFailure()) break;
    auto& replica = replicas_.at(name)[0];
    replica->Stop(SIGKILL);
    ExpectTheFlowGoesOn(name + " replica 0 killed");
    ASSERT_TRUE(replica->Restart(SIGKILL).ok()) << name;
  }
  ExpectTheFlowGoesOn("every fault");

  stop = true;
  load.join();
  std::cerr << "RESULT " << report.Json() << "\n";
  EXPECT_GT(report.completed, 10);
  EXPECT_EQ(report.unfinished, 0);
  for (const loadgen::Violation& v : report.violations) {
    ADD_FAILURE() << v.invariant << " " << v.id << ": " << v.detail;
  }
}

}  // namespace
}  // namespace mallbots
