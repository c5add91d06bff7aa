// gRPC command throughput and latency of the stores service (the real binary, against a durable
// PostgreSQL and nats-server started here), next to the raw PostgreSQL commit rate measured in
// the same run. Each command loads the aggregate (AddProduct also checks its store), appends its
// event, projects the read model, writes the outbox row and commits; the relay publishes.
//
// Runs: low load (one client, one command after the other: no queueing anywhere), the same client
// paced at 50 commands/s (sparse traffic, where every hop also pays for waking an idle thread),
// then closed loops of 4, 8 and 16 clients (saturation), each paired with raw 4-client PostgreSQL
// commit runs right before and after it (fsync speed drifts). The command mix is one CreateStore
// to four AddProduct calls, as a catalogue fills.
//
// Then the baskets binary (calling that stores service on a catalog miss) with a kiosk's mix:
// StartBasket, three AddItem, CheckoutBasket; one client for the per-RPC latency of AddItem and
// CheckoutBasket, then 8 clients for its rate beside the raw commit rate.
//
//   make bench     (or: build/release/bench/commands_bench)
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "bench/floors.h"
#include "libs/common/process.h"
#include "libs/observability/logging.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/baskets/baskets_service.grpc.pb.h"
#include "proto/stores/stores_service.grpc.pb.h"

namespace {

using namespace eda;  // NOLINT: a benchmark's main file
using Stub = storespb::StoresService::Stub;

struct RunResult {
  int clients = 0;
  double commands_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  int errors = 0;
  double paired_raw_pg = 0;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// One client: its own connection (a local subchannel pool keeps channels from sharing one).
std::unique_ptr<Stub> NewStub(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return storespb::StoresService::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

// Issues the mix's next command; true when it succeeded.
class Client {
 public:
  explicit Client(const std::string& target) : stub_(NewStub(target)) {}

  bool Next() {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (store_id_.empty() || n_ % 5 == 0) {
      storespb::CreateStoreRequest req;
      req.set_name(absl::StrCat("Store ", n_++));
      req.set_location("Level 1");
      storespb::CreateStoreResponse resp;
      if (!stub_->CreateStore(&ctx, req, &resp).ok()) return false;
      store_id_ = resp.id();
      return true;
    }
    storespb::AddProductRequest req;
    req.set_store_id(store_id_);
    req.set_name(absl::StrCat("Product ", n_++));
    req.set_description("a product");
    req.set_sku(absl::StrCat("SKU-", n_));
    req.set_price(9.99);
    storespb::AddProductResponse resp;
    return stub_->AddProduct(&ctx, req, &resp).ok();
  }

 private:
  std::unique_ptr<Stub> stub_;
  std::string store_id_;
  int n_ = 0;
};

// A kiosk: starts a basket, adds three of the products, checks out; latencies per RPC.
class Kiosk {
 public:
  using BasketStub = basketspb::BasketService::Stub;
  Kiosk(const std::string& target, const std::vector<std::string>& products)
      : stub_(basketspb::BasketService::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
        products_(products) {}

  // One basket from start to checkout; false at the first failed call.
  bool Next(std::vector<double>& add_item_ms, std::vector<double>& checkout_ms, int& calls) {
    basketspb::StartBasketRequest start;
    start.set_customer_id("7c4f2a8e-0b1d-4c55-9a3e-2f6d8b9c1e01");
    basketspb::StartBasketResponse started;
    if (!Timed(&BasketStub::StartBasket, start, &started, nullptr)) return false;
    ++calls;
    for (int i = 0; i < 3; ++i) {
      basketspb::AddItemRequest add;
      add.set_id(started.id());
      add.set_product_id(products_[(n_++) % products_.size()]);
      add.set_quantity(1 + i);
      basketspb::AddItemResponse added;
      if (!Timed(&BasketStub::AddItem, add, &added, &add_item_ms)) return false;
      ++calls;
    }
    basketspb::CheckoutBasketRequest checkout;
    checkout.set_id(started.id());
    checkout.set_payment_id("0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b");
    basketspb::CheckoutBasketResponse done;
    if (!Timed(&BasketStub::CheckoutBasket, checkout, &done, &checkout_ms)) return false;
    ++calls;
    return true;
  }

 private:
  template <typename Req, typename Resp>
  bool Timed(grpc::Status (BasketStub::*method)(grpc::ClientContext*, const Req&, Resp*),
             const Req& req, Resp* resp, std::vector<double>* latencies) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    const absl::Time t0 = absl::Now();
    if (!(stub_.get()->*method)(&ctx, req, resp).ok()) return false;
    if (latencies != nullptr) latencies->push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    return true;
  }

  std::unique_ptr<BasketStub> stub_;
  const std::vector<std::string>& products_;
  size_t n_ = 0;
};

struct KioskResult {
  double calls_per_s = 0;
  double p50_add_item_ms = 0, p99_add_item_ms = 0, p50_checkout_ms = 0, p99_checkout_ms = 0;
  int errors = 0;
};

KioskResult RunKiosks(const std::string& target, const std::vector<std::string>& products,
                      int clients, absl::Duration duration) {
  std::vector<std::vector<double>> add(clients), checkout(clients);
  std::vector<int> calls(clients, 0), errors(clients, 0);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Kiosk kiosk(target, products);
      while (absl::Now() < start + duration) {
        if (!kiosk.Next(add[c], checkout[c], calls[c])) ++errors[c];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  KioskResult r;
  std::vector<double> all_add, all_checkout;
  int all_calls = 0;
  for (int c = 0; c < clients; ++c) {
    all_add.insert(all_add.end(), add[c].begin(), add[c].end());
    all_checkout.insert(all_checkout.end(), checkout[c].begin(), checkout[c].end());
    all_calls += calls[c];
    r.errors += errors[c];
  }
  r.calls_per_s = all_calls / absl::ToDoubleSeconds(absl::Now() - start);
  r.p50_add_item_ms = Percentile(all_add, 0.50);
  r.p99_add_item_ms = Percentile(all_add, 0.99);
  r.p50_checkout_ms = Percentile(all_checkout, 0.50);
  r.p99_checkout_ms = Percentile(all_checkout, 0.99);
  return r;
}

// `clients` clients for `duration`; pace > 0 spaces one client's commands 1/pace apart.
RunResult Run(const std::string& target, int clients, absl::Duration duration, double pace = 0) {
  std::vector<std::vector<double>> latencies(clients);
  std::vector<int> errors(clients, 0);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Client client(target);
      for (int i = 0;; ++i) {
        if (pace > 0) {
          const absl::Time due = start + absl::Seconds(i / pace);
          if (due > absl::Now()) absl::SleepFor(due - absl::Now());
        }
        if (absl::Now() >= end) break;
        const absl::Time t0 = absl::Now();
        if (client.Next()) {
          latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        } else {
          ++errors[c];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> all;
  RunResult r{.clients = clients};
  for (int c = 0; c < clients; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    r.errors += errors[c];
  }
  r.commands_per_s = static_cast<double>(all.size()) / seconds;
  r.p50_ms = Percentile(all, 0.50);
  r.p99_ms = Percentile(all, 0.99);
  return r;
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "commands_bench: %s\n", s.ToString().c_str());
  return 1;
}

// `clients` closed-loop clients against two stores services in turns of `turn` each (a round is
// A B B A, the next B A A B, ...), so that the machine's drift, which moves a p50 by more than the
// differences worth finding, falls on both alike. The first calls of each client in a turn are
// not counted (a service idle during the other's turn has to wake up). Prints each round, then
// RESULT with both sides' p50 and rate, the median per-round difference and the rounds B won.
int CompareSideBySide(const std::string& target_a, const std::string& target_b, int clients,
                      int rounds, absl::Duration turn) {
  constexpr int kSkip = 5;
  std::vector<std::unique_ptr<Client>> side[2];
  for (int c = 0; c < clients; ++c) {
    side[0].push_back(std::make_unique<Client>(target_a));
    side[1].push_back(std::make_unique<Client>(target_b));
  }
  std::vector<double> all[2], p50_diffs, rate_diffs;
  double calls[2] = {0, 0}, seconds[2] = {0, 0};
  int b_lower_p50 = 0, b_higher_rate = 0;
  for (int round = 0; round < rounds; ++round) {
    double p50[2] = {0, 0}, rate[2] = {0, 0};
    for (int step = 0; step < 4; ++step) {
      const int s = (step == 1 || step == 2) != (round % 2 == 1) ? 1 : 0;
      std::vector<std::vector<double>> latencies(clients);
      std::atomic<int> failed{0};
      std::vector<std::thread> threads;
      const absl::Time start = absl::Now();
      const absl::Time end = start + turn;
      for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
          for (int i = 0; absl::Now() < end; ++i) {
            const absl::Time t0 = absl::Now();
            if (!side[s][c]->Next()) {
              ++failed;
              return;
            }
            if (i >= kSkip) latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
          }
        });
      }
      for (std::thread& t : threads) t.join();
      if (failed > 0) return Fail(absl::UnavailableError(s == 1 ? "B failed" : "A failed"));
      std::vector<double> turn_latencies;
      for (const auto& l : latencies)
        turn_latencies.insert(turn_latencies.end(), l.begin(), l.end());
      const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
      calls[s] += static_cast<double>(turn_latencies.size());
      seconds[s] += elapsed;
      rate[s] += static_cast<double>(turn_latencies.size()) / elapsed / 2;
      p50[s] += Percentile(turn_latencies, 0.5) / 2;
      all[s].insert(all[s].end(), turn_latencies.begin(), turn_latencies.end());
    }
    p50_diffs.push_back(p50[1] - p50[0]);
    rate_diffs.push_back(rate[1] - rate[0]);
    if (p50[1] < p50[0]) ++b_lower_p50;
    if (rate[1] > rate[0]) ++b_higher_rate;
    std::printf("round %2d: A p50 %.3f ms %5.0f/s   B p50 %.3f ms %5.0f/s\n", round + 1, p50[0],
                rate[0], p50[1], rate[1]);
    std::fflush(stdout);
  }
  const double pa = Percentile(all[0], 0.5), pb = Percentile(all[1], 0.5);
  const double ra = calls[0] / seconds[0], rb = calls[1] / seconds[1];
  const double p50_diff = Percentile(p50_diffs, 0.5), rate_diff = Percentile(rate_diffs, 0.5);
  std::printf(
      "%d client%s. A: p50 %.3f ms, %.0f commands/s; B: p50 %.3f ms, %.0f commands/s. B - A per "
      "round (median): p50 %+.3f ms, rate %+.0f/s; B lower p50 in %d, higher rate in %d of %d "
      "rounds\n",
      clients, clients == 1 ? "" : "s", pa, ra, pb, rb, p50_diff, rate_diff, b_lower_p50,
      b_higher_rate, rounds);
  std::printf(
      "RESULT {\"clients\": %d, \"p50_ms_a\": %.3f, \"p50_ms_b\": %.3f, \"p50_ms_diff\": %.3f, "
      "\"b_lower_p50_rounds\": %d, \"commands_per_s_a\": %.0f, \"commands_per_s_b\": %.0f, "
      "\"rate_diff\": %.0f, \"b_higher_rate_rounds\": %d, \"rounds\": %d}\n",
      clients, pa, pb, p50_diff, b_lower_p50, ra, rb, rate_diff, b_higher_rate, rounds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ApplyReleaseDefaults();
  log::Init({.service = "bench", .level = log::Level::kError});
  // --stores-bin=PATH: another stores binary; --target=HOST:PORT: a stores service already running
  // (its database is then not the one the raw floor is measured on).
  std::string binary = STORES_BINARY;
  std::string target;
  int only_clients = 0;  // --clients=N [--seconds=S] [--pace=R]: one run only (for profiling)
  int only_seconds = 10;
  double only_pace = 0;
  // --compare-bin=PATH [--clients=N] [--rounds=R]: the stores binary (A) against another (B),
  // both running, in alternating turns (CompareSideBySide); nothing else is measured.
  std::string compare_binary;
  int rounds = 20;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--clients=")) (void)absl::SimpleAtoi(arg, &only_clients);
    if (absl::ConsumePrefix(&arg, "--seconds=")) (void)absl::SimpleAtoi(arg, &only_seconds);
    if (absl::ConsumePrefix(&arg, "--pace=")) (void)absl::SimpleAtod(arg, &only_pace);
    if (absl::ConsumePrefix(&arg, "--stores-bin=")) binary = std::string(arg);
    if (absl::ConsumePrefix(&arg, "--target=")) target = std::string(arg);
    if (absl::ConsumePrefix(&arg, "--compare-bin=")) compare_binary = std::string(arg);
    if (absl::ConsumePrefix(&arg, "--rounds=")) (void)absl::SimpleAtoi(arg, &rounds);
  }
  setenv("EDA_SOURCE_DIR", SOURCE_DIR, 0);  // the topology file the service reads
  auto pg = testing::PostgresServer::Start({.durable = true});
  if (!pg.ok()) return Fail(pg.status());
  auto nats = testing::NatsServer::StartFromTopology();  // the stack's users and permissions
  if (!nats.ok()) return Fail(nats.status());
  auto raw_dsn = (*pg)->CreateDatabase("raw");
  if (!raw_dsn.ok()) return Fail(raw_dsn.status());
  std::unique_ptr<testing::ServiceUnderTest> stores;
  if (target.empty()) {
    // Its own role and database on the same (durable) cluster, as `make up` provisions them.
    auto started = testing::ServiceUnderTest::StartWith(binary, "stores", **pg, **nats);
    if (!started.ok()) return Fail(started.status());
    stores = std::move(*started);
    target = stores->grpc_target();
  }

  auto paired = [&](int clients, absl::Duration d, double pace) {
    auto before = bench::MeasurePgCommits(*raw_dsn, 4, absl::Milliseconds(1500));
    RunResult r = Run(target, clients, d, pace);
    auto after = bench::MeasurePgCommits(*raw_dsn, 4, absl::Milliseconds(1500));
    r.paired_raw_pg =
        before.ok() && after.ok() ? (before->commits_per_s + after->commits_per_s) / 2 : 0;
    std::printf(
        "%2d client%s%s: %6.0f commands/s  p50 %6.2f ms  p99 %6.2f ms  errors %d  "
        "(raw PostgreSQL beside it: %.0f commits/s, ratio %.1f %%)\n",
        clients, clients == 1 ? " " : "s",
        pace > 0 ? absl::StrFormat(" paced %.0f/s", pace).c_str() : "", r.commands_per_s, r.p50_ms,
        r.p99_ms, r.errors, r.paired_raw_pg,
        r.paired_raw_pg > 0 ? 100 * r.commands_per_s / r.paired_raw_pg : 0);
    std::fflush(stdout);
    return r;
  };

  Run(target, 4, absl::Seconds(1));  // warm-up: connections, prepared statements, caches
  if (!compare_binary.empty()) {
    auto other = testing::ServiceUnderTest::StartWith(compare_binary, "stores", **pg, **nats);
    if (!other.ok()) return Fail(other.status());
    Run((*other)->grpc_target(), 4, absl::Seconds(1));
    return CompareSideBySide(target, (*other)->grpc_target(), std::max(1, only_clients), rounds,
                             absl::Milliseconds(500));
  }
  if (only_clients > 0) {
    RunResult r = Run(target, only_clients, absl::Seconds(only_seconds), only_pace);
    std::printf("%d clients: %.0f commands/s  p50 %.2f ms  p99 %.2f ms  errors %d\n", r.clients,
                r.commands_per_s, r.p50_ms, r.p99_ms, r.errors);
    return 0;
  }
  RunResult low = paired(1, absl::Seconds(5), 0);
  RunResult sparse = paired(1, absl::Seconds(5), 50);
  RunResult best;
  for (int clients : {4, 8, 16}) {
    RunResult r = paired(clients, absl::Seconds(5), 0);
    if (r.commands_per_s > best.commands_per_s) best = r;
  }
  const double ratio = best.paired_raw_pg > 0 ? best.commands_per_s / best.paired_raw_pg : 0;
  std::printf(
      "saturation: %.0f commands/s with %d clients = %.1f %% of the paired raw PostgreSQL "
      "rate (%.0f commits/s)\n",
      best.commands_per_s, best.clients, 100 * ratio, best.paired_raw_pg);
  std::fflush(stdout);

  // baskets, over a catalog of the stores service above.
  std::vector<std::string> products;
  {
    auto stub = NewStub(target);
    grpc::ClientContext ctx;
    storespb::CreateStoreRequest store_req;
    store_req.set_name("Kiosk supplies");
    store_req.set_location("Level 0");
    storespb::CreateStoreResponse store;
    if (!stub->CreateStore(&ctx, store_req, &store).ok()) {
      return Fail(absl::UnavailableError("stores: CreateStore failed"));
    }
    for (int i = 0; i < 4; ++i) {
      grpc::ClientContext add_ctx;
      storespb::AddProductRequest req;
      req.set_store_id(store.id());
      req.set_name(absl::StrCat("Item ", i));
      req.set_price(1.25 + i);
      storespb::AddProductResponse resp;
      if (!stub->AddProduct(&add_ctx, req, &resp).ok()) {
        return Fail(absl::UnavailableError("stores: AddProduct failed"));
      }
      products.push_back(resp.id());
    }
  }
  auto baskets = testing::ServiceUnderTest::StartWith(BASKETS_BINARY, "baskets", **pg, **nats,
                                                      {"--rpc-services=STORES=" + target});
  if (!baskets.ok()) return Fail(baskets.status());
  const std::string baskets_target = (*baskets)->grpc_target();
  RunKiosks(baskets_target, products, 4, absl::Seconds(1));  // warm-up (and catalog misses)
  const KioskResult kiosk_low = RunKiosks(baskets_target, products, 1, absl::Seconds(5));
  auto before = bench::MeasurePgCommits(*raw_dsn, 4, absl::Milliseconds(1500));
  const KioskResult kiosks = RunKiosks(baskets_target, products, 8, absl::Seconds(5));
  auto after = bench::MeasurePgCommits(*raw_dsn, 4, absl::Milliseconds(1500));
  const double kiosk_raw =
      before.ok() && after.ok() ? (before->commits_per_s + after->commits_per_s) / 2 : 0;
  const double kiosk_ratio = kiosk_raw > 0 ? kiosks.calls_per_s / kiosk_raw : 0;
  std::printf(
      "baskets, 1 client: AddItem p50 %.2f ms p99 %.2f ms, CheckoutBasket p50 %.2f ms p99 %.2f "
      "ms, errors %d\n"
      "baskets, 8 clients: %.0f calls/s (StartBasket, 3 AddItem, CheckoutBasket), errors %d "
      "(raw PostgreSQL beside it: %.0f commits/s, ratio %.1f %%)\n",
      kiosk_low.p50_add_item_ms, kiosk_low.p99_add_item_ms, kiosk_low.p50_checkout_ms,
      kiosk_low.p99_checkout_ms, kiosk_low.errors, kiosks.calls_per_s, kiosks.errors, kiosk_raw,
      100 * kiosk_ratio);
  std::printf(
      "RESULT %s\n",
      absl::StrFormat(
          "{\"p50_ms_low\":%.3f,\"p99_ms_low\":%.3f,\"p50_ms_paced50\":%.3f,"
          "\"p99_ms_paced50\":%.3f,\"commands_per_s\":%.0f,"
          "\"raw_pg_commits_per_s\":%.0f,\"ratio_pg\":%.3f,"
          "\"p50_ms_add_item\":%.3f,\"p99_ms_add_item\":%.3f,\"p50_ms_checkout\":%.3f,"
          "\"p99_ms_checkout\":%.3f,\"basket_calls_per_s\":%.0f,\"basket_ratio_pg\":%.3f}",
          low.p50_ms, low.p99_ms, sparse.p50_ms, sparse.p99_ms, best.commands_per_s,
          best.paired_raw_pg, ratio, kiosk_low.p50_add_item_ms, kiosk_low.p99_add_item_ms,
          kiosk_low.p50_checkout_ms, kiosk_low.p99_checkout_ms, kiosks.calls_per_s, kiosk_ratio)
          .c_str());
  return 0;
}
