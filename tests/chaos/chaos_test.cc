// The chaos run: the whole mall on a PostgreSQL and a nats-server of its own (it restarts them),
// every service and the robots, each a real process, under the load generator (tools/loadgen)
// while faults come from a seeded generator: a service (or the robots) killed with -9 and started
// again, nats-server restarted, PostgreSQL restarted. Every business invariant the load generator
// checks must hold at the end (tools/loadgen/invariants.h).
//
// Environment: CHAOS_SEED (the faults' and the customers' choices; printed, random when unset;
// the timing of a run is not reproducible, its sequence of faults is), CHAOS_ORDERS or
// CHAOS_DURATION (the load's stop; default 45s), CHAOS_CUSTOMERS (6). ctest runs the short
// default; `make chaos` a long one.
//
// A service joins the run by a row in Services() and its binary in this test's CMake properties;
// its peers come from the topology's `call` lines.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "tools/loadgen/loadgen.h"

namespace mallbots {
namespace {

namespace testing = ::eda::testing;

struct ServiceSpec {
  std::string name;        // its name in the topology
  std::string binary_env;  // the variable ctest sets to its binary (unset: not in this tree)
};

// The services of the mall, in the order they start (a peer before the services calling it).
const std::vector<ServiceSpec>& Services() {
  static const auto* services = new std::vector<ServiceSpec>{
      {"stores", "STORES_BIN"},
      {"customers", "CUSTOMERS_BIN"},
      {"baskets", "BASKETS_BIN"},
      {"ordering", "ORDERING_BIN"},
      {"payments", "PAYMENTS_BIN"},
      {"depot", "DEPOT_BIN"},
      {"notifications", "NOTIFICATIONS_BIN"},
      {"search", "SEARCH_BIN"},
      {"cosec", "COSEC_BIN"},
  };
  return *services;
}

std::string Env(const char* name, const std::string& default_value) {
  const char* value = std::getenv(name);
  return value == nullptr || *value == '\0' ? default_value : value;
}

// The running mall: servers, services and robots, each stopped by PID when destroyed.
class Mall final {
 public:
  absl::Status Start() {
    auto pg = testing::PostgresServer::Start();
    if (!pg.ok()) return pg.status();
    pg_ = *std::move(pg);
    auto nats = testing::NatsServer::StartFromTopology();
    if (!nats.ok()) return nats.status();
    nats_ = *std::move(nats);
    for (const ServiceSpec& spec : Services()) {
      const char* binary = std::getenv(spec.binary_env.c_str());
      if (binary == nullptr || *binary == '\0') continue;  // not built in this tree
      std::vector<std::string> rpc;
      auto peers = testing::TopologyPeersOf(spec.name);
      if (!peers.ok()) return peers.status();
      for (const std::string& peer : *peers) {
        if (services_.count(peer) == 0) {
          return absl::FailedPreconditionError(
              absl::StrCat(spec.name, " calls ", peer, ", which does not run (or starts later)"));
        }
        rpc.push_back(
            absl::StrCat(absl::AsciiStrToUpper(peer), "=", services_.at(peer)->grpc_target()));
      }
      std::vector<std::string> args;
      if (!rpc.empty()) args.push_back("--rpc-services=" + absl::StrJoin(rpc, ","));
      auto service = testing::ServiceUnderTest::StartWith(binary, spec.name, *pg_, *nats_, args);
      if (!service.ok()) {
        return absl::Status(service.status().code(),
                            absl::StrCat(spec.name, ": ", service.status().message()));
      }
      services_[spec.name] = *std::move(service);
      order_.push_back(spec.name);
    }
    bots_log_ = dir_.path() + "/bots.log";
    return StartBots();
  }

  absl::Status StartBots() {
    auto bots = testing::Process::Start(
        {Env("BOTS_BIN", ""), "--depot=" + services_.at("depot")->grpc_target(), "--bots=4",
         "--bot-stop-time=50ms", "--bot-poll=50ms"},
        {.log_file = bots_log_});
    if (!bots.ok()) return bots.status();
    bots_ = *std::move(bots);
    return absl::OkStatus();
  }

  Endpoints endpoints() const {
    return {.stores = Target("stores"),
            .customers = Target("customers"),
            .baskets = Target("baskets"),
            .ordering = Target("ordering"),
            .payments = Target("payments"),
            .depot = Target("depot")};
  }
  std::string Target(const std::string& service) const {
    auto it = services_.find(service);
    return it == services_.end() ? "" : it->second->grpc_target();
  }
  const std::vector<std::string>& services() const { return order_; }
  testing::ServiceUnderTest& service(const std::string& name) { return *services_.at(name); }
  testing::PostgresServer& pg() { return *pg_; }
  testing::NatsServer& nats() { return *nats_; }
  testing::Process& bots() { return *bots_; }
  const std::string& bots_log() const { return bots_log_; }

  void PrintLogTails() const {
    for (const std::string& name : order_) {
      std::cerr << "--- " << name << " log (tail) ---\n" << services_.at(name)->LogTail(15) << "\n";
    }
  }

  ~Mall() {
    if (bots_ != nullptr) bots_->Stop(SIGTERM);
    bots_.reset();
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) services_.erase(*it);
  }

 private:
  testing::TempDir dir_{"eda-chaos"};
  std::unique_ptr<testing::PostgresServer> pg_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::map<std::string, std::unique_ptr<testing::ServiceUnderTest>> services_;
  std::vector<std::string> order_;  // start order
  std::string bots_log_;
  std::unique_ptr<testing::Process> bots_;
};

// Faults, one at a time, every 3-8 s, until stopped: kill -9 and restart a random service (55 %)
// or the robots (5 %), restart nats-server (20 %) or PostgreSQL (20 %), each down for 0.2-2 s.
class Chaos final {
 public:
  Chaos(Mall& mall, uint64_t seed) : mall_(mall), rng_(seed) {}

  void Run(const absl::Notification& stop) {
    while (!stop.WaitForNotificationWithTimeout(Between(3000, 8000))) {
      const double pick = std::uniform_real_distribution<double>(0, 1)(rng_);
      absl::Status s;
      std::string kind;
      if (pick < 0.55) {
        const auto& names = mall_.services();
        const std::string& name = names[Index(static_cast<int>(names.size()))];
        kind = "kill -9 " + name;
        s = mall_.service(name).Restart(SIGKILL);
      } else if (pick < 0.60) {
        kind = "kill -9 bots";
        mall_.bots().Stop(SIGKILL, absl::ZeroDuration());
        s = mall_.StartBots();
      } else if (pick < 0.80) {
        kind = "restart nats-server";
        mall_.nats().Stop();
        absl::SleepFor(Between(200, 2000));
        s = mall_.nats().Restart();
      } else {
        kind = "restart postgresql";
        mall_.pg().Stop();
        absl::SleepFor(Between(200, 2000));
        s = mall_.pg().Restart();
      }
      std::cerr << "chaos: " << kind << (s.ok() ? "" : " FAILED: " + s.ToString()) << std::endl;
      ++by_kind_[kind];
      if (!s.ok()) errors_.push_back(kind + ": " + s.ToString());
    }
  }

  const std::map<std::string, int>& by_kind() const { return by_kind_; }
  const std::vector<std::string>& errors() const { return errors_; }
  int total() const {
    int n = 0;
    for (const auto& [kind, count] : by_kind_) n += count;
    return n;
  }

 private:
  absl::Duration Between(int lo_ms, int hi_ms) {
    return absl::Milliseconds(std::uniform_int_distribution<int>(lo_ms, hi_ms)(rng_));
  }
  int Index(int size) { return std::uniform_int_distribution<int>(0, size - 1)(rng_); }

  Mall& mall_;
  std::mt19937_64 rng_;
  std::map<std::string, int> by_kind_;
  std::vector<std::string> errors_;
};

TEST(ChaosTest, EveryInvariantHoldsThroughKillsAndRestarts) {
  uint64_t seed = std::random_device()() % 1000000;
  if (!absl::SimpleAtoi(Env("CHAOS_SEED", absl::StrCat(seed)), &seed)) FAIL() << "CHAOS_SEED";
  loadgen::Options options;
  options.seed = seed;
  ASSERT_TRUE(absl::SimpleAtoi(Env("CHAOS_CUSTOMERS", "6"), &options.customers));
  ASSERT_TRUE(absl::SimpleAtoi(Env("CHAOS_ORDERS", "0"), &options.orders));
  if (options.orders == 0) {
    ASSERT_TRUE(absl::ParseDuration(Env("CHAOS_DURATION", "45s"), &options.duration));
  }
  std::cerr << "chaos: CHAOS_SEED=" << seed << " (run again with it: make chaos SEED=" << seed
            << ")" << std::endl;

  Mall mall;
  const absl::Time start = absl::Now();
  absl::Status started = mall.Start();
  if (!started.ok()) mall.PrintLogTails();
  ASSERT_TRUE(started.ok()) << started;
  std::cerr << "chaos: " << mall.services().size() << " services and the robots up in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(100)))
            << std::endl;

  options.report_every = absl::Seconds(5);
  // A service killed holds the messages it had fetched until their ack wait (30 s) passes.
  options.settle_timeout = absl::Seconds(90);
  options.bots_log = mall.bots_log();
  options.search = mall.Target("search");
  Chaos chaos(mall, seed);
  absl::Notification load_ended;
  options.load_ended = [&load_ended] { load_ended.Notify(); };
  // The faults come from this thread and the load from another: a process the harness starts
  // is killed when the thread that started it ends (PR_SET_PDEATHSIG follows the thread), so
  // whatever is restarted must be started by the thread that lives as long as the test.
  loadgen::Report report;
  std::thread load([&] {
    report = loadgen::Run(options, mall.endpoints(), std::cerr);
    if (!load_ended.HasBeenNotified()) load_ended.Notify();
  });
  chaos.Run(load_ended);
  load.join();

  std::vector<std::string> kinds;
  for (const auto& [kind, n] : chaos.by_kind()) kinds.push_back(absl::StrCat(kind, " x", n));
  std::cerr << "chaos: seed " << seed << ", " << report.orders << " orders (" << report.completed
            << " completed, " << report.rejected << " rejected, " << report.cancelled
            << " cancelled) in " << absl::FormatDuration(report.load_time) << ", " << chaos.total()
            << " faults (" << absl::StrJoin(kinds, ", ") << "), " << report.violations.size()
            << " violations; the whole run took "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Seconds(1)))
            << std::endl;
  std::cerr << "RESULT " << report.Json() << std::endl;

  const bool failed = !report.violations.empty() || !chaos.errors().empty();
  if (failed) mall.PrintLogTails();
  EXPECT_TRUE(chaos.errors().empty()) << absl::StrJoin(chaos.errors(), "\n");
  for (const loadgen::Violation& v : report.violations) {
    ADD_FAILURE() << "seed " << seed << ": " << v.invariant << " " << v.id << ": " << v.detail;
  }
  EXPECT_GT(report.completed, 0);
  EXPECT_GT(chaos.total(), 0);
  if (options.orders > 0) {
    EXPECT_GE(report.orders, options.orders);
  }
}

}  // namespace
}  // namespace mallbots
