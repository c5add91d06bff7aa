// The whole order flow under load: every service of the flow (stores, customers, baskets,
// ordering, payments, depot, cosec) as its real binary, with the robots (bots, no time at a stop),
// against a durable PostgreSQL and a nats-server started here, all on this machine.
//
// The driver opens a store and registers customers, then places orders at a fixed rate (open
// loop): StartBasket, two AddItem, AuthorizePayment, CheckoutBasket. It follows the ORDERING
// stream: an order's saga ends when the order is approved (latency measured from the start of
// CheckoutBasket to the OrderApproved event's stored time); it pays each invoice once the order is
// readied; the order is done at OrderCompleted.
//
// Runs: 5 orders/s (low load: latency p50/p99), 40 orders/s (a middle load), then rising rates
// until the flow no longer keeps up; the highest rate at which every order was placed on time and
// completed, the last within 1 s of the end of the placing, with the saga's p99 under 1 s (no
// growing queue), is `orders_per_s`, with the CPU each process used in that run. Database commits
// per order are counted over every database of the cluster (pg_stat_database) in the middle run.
// The raw PostgreSQL commit rate is measured in the same run, before and after.
//
//   make bench     (or: build/release/bench/saga_bench [--rates=60,100,150])
#include <grpcpp/grpcpp.h>
#include <nats/nats.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "bench/floors.h"
#include "libs/common/process.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "libs/observability/logging.h"
#include "libs/pg/connection.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/ordering/ordering_api.pb.h"
#include "tools/shopper/shopper.h"

namespace {

using namespace eda;  // NOLINT: a benchmark's main file

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "saga_bench: %s\n", s.ToString().c_str());
  return 1;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// What the driver knows of each order.
struct Order {
  absl::Time checkout_started;
  bool checked_out = false;
  std::optional<absl::Time> approved;  // the OrderApproved event's stored time
  bool completed = false;
  bool failed = false;  // rejected, or a call failed
};

class Orders {
 public:
  void Started(const std::string& id, absl::Time at) {
    absl::MutexLock lock(&mu_);
    orders_[id].checkout_started = at;
  }
  void CheckedOut(const std::string& id) {
    absl::MutexLock lock(&mu_);
    orders_[id].checked_out = true;
  }
  void Approved(const std::string& id, absl::Time at) {
    absl::MutexLock lock(&mu_);
    auto it = orders_.find(id);
    if (it != orders_.end()) it->second.approved = at;
  }
  void Completed(const std::string& id) {
    absl::MutexLock lock(&mu_);
    auto it = orders_.find(id);
    if (it != orders_.end()) it->second.completed = true;
  }
  void Failed(const std::string& id) {
    absl::MutexLock lock(&mu_);
    orders_[id].failed = true;
  }
  bool Knows(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return orders_.contains(id);
  }
  struct Summary {
    int placed = 0, completed = 0, failed = 0;
    std::vector<double> saga_ms;
  };
  Summary Summarize(const std::vector<std::string>& ids) {
    absl::MutexLock lock(&mu_);
    Summary s;
    for (const std::string& id : ids) {
      auto it = orders_.find(id);
      if (it == orders_.end()) continue;
      ++s.placed;
      const Order& o = it->second;
      s.completed += o.completed;
      s.failed += o.failed;
      if (o.approved)
        s.saga_ms.push_back(absl::ToDoubleMilliseconds(*o.approved - o.checkout_started));
    }
    return s;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Order> orders_ ABSL_GUARDED_BY(mu_);
};

// Follows the order events: records approvals and completions, and pays each readied order's
// invoice (on a thread of its own: the callback must not block).
class Follower {
 public:
  Follower(mallbots::Mall& mall, Orders& orders) : mall_(mall), orders_(orders) {
    for (int i = 0; i < 4; ++i) payers_.emplace_back([this] { Pay(); });
  }
  ~Follower() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : payers_) t.join();
  }

  absl::Status Subscribe(messaging::Connection& nats) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = "ORDERING";
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverNew;
    natsSubscription* sub = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_Subscribe(&sub, nats.js(), "mallbots.ordering.events.Order", OnMessage, this,
                                nullptr, &so, &jerr);
    if (s != NATS_OK) return messaging::FromNats(s, "following ORDERING", jerr);
    sub_.reset(sub);
    return absl::OkStatus();
  }

 private:
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
    messaging::NatsMsgPtr msg(raw);
    auto* self = static_cast<Follower*>(closure);
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg.get()) != NATS_OK) return;
    const absl::Time stored = absl::FromUnixNanos(meta->Timestamp);
    jsMsgMetaData_Destroy(meta);
    absl::StatusOr<messaging::Message> m = messaging::DecodeEnvelope(
        natsMsg_GetSubject(msg.get()),
        absl::string_view(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())));
    if (!m.ok()) return;
    orderingpb::OrderApproved event;  // every order event starts with the order's id
    if (!event.ParseFromString(m->payload)) return;
    if (m->name == "ordersapi.OrderApproved") {
      self->orders_.Approved(event.id(), stored);
    } else if (m->name == "ordersapi.OrderReadied") {
      absl::MutexLock lock(&self->mu_);
      self->to_pay_.push_back(event.id());
    } else if (m->name == "ordersapi.OrderCompleted") {
      self->orders_.Completed(event.id());
    } else if (m->name == "ordersapi.OrderRejected") {
      self->orders_.Failed(event.id());
    }
  }

  void Pay() {
    while (true) {
      std::string id;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]()
                         ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !to_pay_.empty(); };
        mu_.Await(absl::Condition(&ready));
        if (stopping_) return;
        id = to_pay_.front();
        to_pay_.erase(to_pay_.begin());
      }
      if (!orders_.Knows(id)) continue;  // an order of an earlier run of this machine's stack
      // The invoice is made by payments from the same event: it may not be there yet.
      absl::Status paid = mall_.PayInvoice(id);
      for (int i = 0; absl::IsNotFound(paid) && i < 500; ++i) {
        absl::SleepFor(absl::Milliseconds(2));
        paid = mall_.PayInvoice(id);
      }
      if (!paid.ok()) orders_.Failed(id);
    }
  }

  mallbots::Mall& mall_;
  Orders& orders_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> to_pay_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> payers_;
  messaging::NatsSubPtr sub_;
};

// Places `rate` orders a second for `duration` (open loop, on `threads` threads); returns their
// ids.
std::vector<std::string> Place(mallbots::Mall& mall, Orders& orders,
                               const std::vector<std::string>& customers,
                               const mallbots::Store& store, double rate, absl::Duration duration) {
  const int total = static_cast<int>(rate * absl::ToDoubleSeconds(duration));
  const absl::Time start = absl::Now();
  std::atomic<int> next{0};
  absl::Mutex mu;
  std::vector<std::string> ids;
  std::vector<std::thread> threads;
  const int n_threads = std::clamp(static_cast<int>(rate / 10), 2, 24);
  for (int t = 0; t < n_threads; ++t) {
    threads.emplace_back([&] {
      while (true) {
        const int i = next++;
        if (i >= total) return;
        const absl::Time due = start + absl::Seconds(i / rate);
        if (const absl::Time now = absl::Now(); due > now) absl::SleepFor(due - now);
        const std::string& customer = customers[i % customers.size()];
        absl::StatusOr<std::string> basket = mall.StartBasket(customer);
        if (!basket.ok()) continue;
        bool ok = mall.AddItem(*basket, {store.products[0], 2}).ok() &&
                  mall.AddItem(*basket, {store.products[1], 1}).ok();
        absl::StatusOr<std::string> payment =
            ok ? mall.AuthorizePayment(customer, 100) : absl::InternalError("basket");
        orders.Started(*basket, absl::Now());
        {
          absl::MutexLock lock(&mu);
          ids.push_back(*basket);
        }
        if (payment.ok() && mall.CheckoutBasket(*basket, *payment).ok()) {
          orders.CheckedOut(*basket);
        } else {
          orders.Failed(*basket);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return ids;
}

// CPU seconds (user + system) of a process, from /proc.
double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  // After the command: state(0) ... utime(11) stime(12).
  if (f.size() < 13) return 0;
  double utime = 0, stime = 0;
  (void)absl::SimpleAtod(f[11], &utime);
  (void)absl::SimpleAtod(f[12], &stime);
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds of every process named `comm` (postgres: the server and all its backends).
double CpuSecondsOf(const std::string& comm) {
  double total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream in(entry.path() / "comm");
    std::string name;
    if (std::getline(in, name) && name == comm) total += CpuSeconds(pid);
  }
  return total;
}

// Commits of every database of the cluster so far.
int64_t Commits(const std::string& dsn) {
  auto conn = pg::Connection::Open(dsn);
  if (!conn.ok()) return 0;
  auto r = conn->Exec("SELECT sum(xact_commit)::bigint FROM pg_stat_database");
  return r.ok() ? r->Int(0, 0).value_or(0) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  ApplyReleaseDefaults();
  log::Init({.service = "bench", .level = log::Level::kError});
  std::vector<double> rates = {40, 60, 80, 100, 120, 150};
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--rates=")) {
      rates.clear();
      for (absl::string_view r : absl::StrSplit(arg, ',')) {
        double v = 0;
        if (absl::SimpleAtod(r, &v)) rates.push_back(v);
      }
    }
  }
  setenv("EDA_SOURCE_DIR", SOURCE_DIR, 0);  // the topology file the services read
  auto pg = testing::PostgresServer::Start({.durable = true});
  if (!pg.ok()) return Fail(pg.status());
  auto nats = testing::NatsServer::StartFromTopology();
  if (!nats.ok()) return Fail(nats.status());
  auto raw_dsn = (*pg)->CreateDatabase("raw");
  if (!raw_dsn.ok()) return Fail(raw_dsn.status());

  std::map<std::string, std::unique_ptr<testing::ServiceUnderTest>> services;
  auto start = [&](const std::string& name, std::vector<std::string> args = {}) -> absl::Status {
    auto s = testing::ServiceUnderTest::StartWith(
        absl::StrCat(BIN_DIR, "/services/", name, "/", name), name, **pg, **nats, std::move(args));
    if (!s.ok()) return s.status();
    services[name] = *std::move(s);
    return absl::OkStatus();
  };
  for (const char* name : {"stores", "customers", "ordering", "payments"}) {
    if (absl::Status s = start(name); !s.ok()) return Fail(s);
  }
  const std::string peers = "--rpc-services=STORES=" + services["stores"]->grpc_target();
  for (const char* name : {"baskets", "depot"}) {
    if (absl::Status s = start(name, {peers}); !s.ok()) return Fail(s);
  }
  if (absl::Status s = start("cosec"); !s.ok()) return Fail(s);
  testing::TempDir bots_dir("bench-bots");
  auto bots = testing::Process::Start(
      {absl::StrCat(BIN_DIR, "/tools/bots/bots"), "--depot=" + services["depot"]->grpc_target(),
       "--bots=8", "--bot-stop-time=0s", "--bot-poll=100ms", "--log-level=ERROR"},
      {.log_file = bots_dir.path() + "/bots.log"});
  if (!bots.ok()) return Fail(bots.status());

  mallbots::Mall mall({.stores = services["stores"]->grpc_target(),
                       .customers = services["customers"]->grpc_target(),
                       .baskets = services["baskets"]->grpc_target(),
                       .ordering = services["ordering"]->grpc_target(),
                       .payments = services["payments"]->grpc_target(),
                       .depot = services["depot"]->grpc_target()});
  absl::StatusOr<mallbots::Store> store = mall.OpenStore("Bench books", {2.5, 4});
  if (!store.ok()) return Fail(store.status());
  std::vector<std::string> customers;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::string> c = mall.RegisterCustomer(absl::StrCat("Customer ", i));
    if (!c.ok()) return Fail(c.status());
    customers.push_back(*c);
  }
  auto admin = testing::ConnectAsAdmin(**nats);
  if (!admin.ok()) return Fail(admin.status());
  Orders orders;
  Follower follower(mall, orders);
  if (absl::Status s = follower.Subscribe(**admin); !s.ok()) return Fail(s);

  // Places orders at `rate` for `duration`, then waits for them; prints and returns the summary.
  struct Run {
    double rate = 0;
    Orders::Summary summary;
    double completed_per_s = 0;
    double commits_per_order = 0;
    bool kept_up = false;
  };
  // PostgreSQL's backends report their commits when idle for 10 s at the latest: the commits of
  // a run are read after such a pause, before and after it.
  constexpr absl::Duration kStatsFlush = absl::Seconds(11);
  auto run = [&](double rate, absl::Duration duration, const char* label, bool count_commits) {
    if (count_commits) absl::SleepFor(kStatsFlush);
    const int64_t commits_before = count_commits ? Commits((*pg)->Dsn()) : 0;
    const absl::Time start_at = absl::Now();
    std::vector<std::string> ids = Place(mall, orders, customers, *store, rate, duration);
    const absl::Time placed_at = absl::Now();
    Run r{.rate = rate};
    testing::WaitUntil(
        [&] {
          r.summary = orders.Summarize(ids);
          return r.summary.completed + r.summary.failed >= r.summary.placed;
        },
        absl::Seconds(5));
    const absl::Time done_at = absl::Now();
    r.summary = orders.Summarize(ids);
    if (count_commits) absl::SleepFor(kStatsFlush);
    const int64_t commits = count_commits ? Commits((*pg)->Dsn()) - commits_before : 0;
    r.completed_per_s = r.summary.completed / absl::ToDoubleSeconds(done_at - start_at);
    r.commits_per_order = r.summary.completed > 0 ? static_cast<double>(commits) /
                                                        static_cast<double>(r.summary.completed)
                                                  : 0;
    // Sustained: every order placed on time and completed, the last within 1 s of the end of the
    // placing, and the saga's p99 under 1 s: no queue that grows while the rate lasts.
    r.kept_up = r.summary.failed == 0 && r.summary.completed == r.summary.placed &&
                r.summary.placed >= 0.95 * rate * absl::ToDoubleSeconds(duration) &&
                absl::ToDoubleSeconds(placed_at - start_at) <=
                    1.05 * absl::ToDoubleSeconds(duration) + 0.5 &&
                done_at - placed_at <= absl::Seconds(1) &&
                Percentile(r.summary.saga_ms, 0.99) < 1000;
    std::printf(
        "%-8s %5.0f orders/s offered: %4d placed, %4d completed (%.0f/s), %d failed; saga p50 "
        "%.1f ms p99 %.1f ms%s%s\n",
        label, rate, r.summary.placed, r.summary.completed, r.completed_per_s, r.summary.failed,
        Percentile(r.summary.saga_ms, 0.5), Percentile(r.summary.saga_ms, 0.99),
        count_commits ? absl::StrFormat("; %.1f commits/order", r.commits_per_order).c_str() : "",
        r.kept_up ? "" : "  (did not keep up)");
    std::fflush(stdout);
    return r;
  };

  run(20, absl::Seconds(2), "warm-up", false);
  auto raw = bench::MeasurePgCommits(*raw_dsn, 4, absl::Seconds(2));
  if (!raw.ok()) return Fail(raw.status());
  std::printf("raw PostgreSQL: %.0f commits/s (4 clients, p50 %.2f ms)\n", raw->commits_per_s,
              raw->p50_ms);
  const absl::Time low_start = absl::Now();
  const Run low = run(5, absl::Seconds(10), "low", false);
  // Where a saga's time goes at low load: each step from its command to its reply (cosec's
  // outbox, the relay, JetStream, the participant's consumer and commit, back the same way).
  if (auto conn = pg::Connection::Open(services["cosec"]->dsn()); conn.ok()) {
    auto steps = conn->Exec(
        "SELECT step, step_name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), "
        "percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FROM (SELECT step, step_name, event, "
        "extract(epoch from at - lag(at) OVER (PARTITION BY saga_id ORDER BY seq)) * 1000 AS ms "
        "FROM saga_history WHERE at >= to_timestamp($1)) x WHERE event = 'reply' "
        "GROUP BY step, step_name ORDER BY step",
        {absl::ToDoubleSeconds(low_start - absl::UnixEpoch())});
    if (steps.ok()) {
      std::printf("  saga steps at low load, command to reply (p50 / p99 ms):");
      for (int i = 0; i < steps->rows(); ++i) {
        std::printf(" %s %.1f/%.1f", std::string(steps->Text(i, 1)).c_str(),
                    steps->Double(i, 2).value_or(0), steps->Double(i, 3).value_or(0));
      }
      std::printf("\n");
    }
  }
  const Run mid = run(40, absl::Seconds(8), "middle", true);

  // Rising rates; CPU by process over the best run.
  std::map<std::string, pid_t> pids;
  for (const auto& [name, s] : services) pids[name] = s->pid();
  pids["bots"] = (*bots)->pid();
  auto cpu = [&] {
    std::map<std::string, double> c;
    for (const auto& [name, pid] : pids) c[name] = CpuSeconds(pid);
    c["postgres"] = CpuSecondsOf("postgres");
    c["nats-server"] = CpuSecondsOf("nats-server");
    c["driver"] = CpuSeconds(getpid());
    return c;
  };
  Run best;
  std::map<std::string, double> best_cpu;
  absl::Duration best_elapsed;
  for (double rate : rates) {
    const std::map<std::string, double> before = cpu();
    const absl::Time t0 = absl::Now();
    Run r = run(rate, absl::Seconds(8), "rate", false);
    const absl::Duration elapsed = absl::Now() - t0;
    if (!r.kept_up) break;
    best = r;
    best_cpu = cpu();
    for (auto& [name, seconds] : best_cpu) seconds -= before.at(name);
    best_elapsed = elapsed;
  }
  if (!best_cpu.empty()) {
    double total = 0;
    for (const auto& [name, seconds] : best_cpu) total += seconds;
    std::printf("CPU at %.0f orders/s (%.1f s of CPU over %.1f s, 2 cores = %.1f s):\n", best.rate,
                total, absl::ToDoubleSeconds(best_elapsed),
                2 * absl::ToDoubleSeconds(best_elapsed));
    std::vector<std::pair<double, std::string>> by_cpu;
    for (const auto& [name, seconds] : best_cpu) by_cpu.emplace_back(seconds, name);
    std::sort(by_cpu.rbegin(), by_cpu.rend());
    for (const auto& [seconds, name] : by_cpu) {
      std::printf("  %-12s %6.2f s  %5.1f %%\n", name.c_str(), seconds,
                  total > 0 ? 100 * seconds / total : 0);
    }
  }
  const double raw_after = [&] {
    auto r = bench::MeasurePgCommits(*raw_dsn, 4, absl::Seconds(2));
    return r.ok() ? r->commits_per_s : raw->commits_per_s;
  }();
  const double raw_pg = (raw->commits_per_s + raw_after) / 2;
  std::printf(
      "sustained: %.0f orders/s with every order completed; %.1f commits per order (at %.0f "
      "orders/s); raw PostgreSQL %.0f commits/s (orders/s x commits/order = %.0f %% of it)\n",
      best.rate, mid.commits_per_order, mid.rate, raw_pg,
      raw_pg > 0 ? 100 * best.rate * mid.commits_per_order / raw_pg : 0);
  (*bots)->Stop(SIGTERM);
  std::printf(
      "RESULT {\"saga_p50_ms_low\":%.2f,\"saga_p99_ms_low\":%.2f,\"saga_p50_ms_mid\":%.2f,"
      "\"saga_p99_ms_mid\":%.2f,\"mid_orders_per_s\":%.0f,\"orders_per_s\":%.0f,"
      "\"commits_per_order\":%.1f,\"raw_pg_commits_per_s\":%.0f}\n",
      Percentile(low.summary.saga_ms, 0.5), Percentile(low.summary.saga_ms, 0.99),
      Percentile(mid.summary.saga_ms, 0.5), Percentile(mid.summary.saga_ms, 0.99), mid.rate,
      best.rate, mid.commits_per_order, raw_pg);
  return 0;
}
