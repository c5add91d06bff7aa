// SearchOrders of the search service (the real binary, against a durable PostgreSQL) over an
// orders read model of 1,000,000 orders: p50 and p99 per filter (target: p50 <= 20 ms, p99 <=
// 100 ms), each filter's plan (EXPLAIN ANALYZE of the very statement the service runs for one of
// its requests), next to the raw floor measured in the same run: a primary-key SELECT of one
// order through libpq on the same table, the least any read of it costs here.
//
// The read model is seeded by SQL, as its projection would have written it: 20,000 customers with
// 50 orders each, 200 stores of 10 products, two items per order, one order every 30 s over the
// last year, statuses as a mall has them (70 % Completed, 10 % Canceled, 8 % Rejected, the rest in
// flight).
//
//   make bench     (or: build/release/bench/search_bench [--orders=N] [--requests=N])
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "libs/common/process.h"
#include "libs/observability/logging.h"
#include "libs/pg/connection.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/search/search_service.grpc.pb.h"
#include "services/search/application/application.h"
#include "services/search/postgres/adapters.h"

namespace {

using namespace eda;  // NOLINT: a benchmark's main file
using Request = searchpb::SearchOrdersRequest;

constexpr int kCustomers = 20000;
constexpr int kStores = 200;
constexpr int kProductsPerStore = 10;
constexpr double kTargetP50Ms = 20;
constexpr double kTargetP99Ms = 100;

// The seeded ids: md5 of a tag and a number, as a UUID (the same expression as the seeding SQL).
std::string SeedId(pg::Connection& db, const std::string& tag, int64_t n) {
  auto r = db.Exec("SELECT md5($1 || $2::bigint)::uuid::text", {tag, n});
  return r.ok() ? std::string(r->Text(0, 0)) : "";
}

// Fills the caches and the orders table in batches of 100,000 rows, printing progress.
absl::Status Seed(pg::Connection& db, int64_t orders) {
  const std::string caches = absl::StrFormat(
      "INSERT INTO customers_cache (id, name) SELECT md5('c' || i)::uuid::text, 'Customer ' || i "
      "FROM generate_series(1, %d) i; "
      "INSERT INTO stores_cache (id, name) SELECT md5('s' || i)::uuid::text, 'Store ' || i "
      "FROM generate_series(1, %d) i; "
      "INSERT INTO products_cache (id, store_id, name) SELECT md5('p' || i)::uuid::text, "
      "md5('s' || ((i - 1) / %d + 1))::uuid::text, 'Product ' || i FROM generate_series(1, %d) i",
      kCustomers, kStores, kProductsPerStore, kStores * kProductsPerStore);
  if (absl::Status s = db.ExecScript(caches); !s.ok()) return s;
  // Each order i: customer c, products p1 and p2 (their stores s1, s2), quantities q1 and q2 at
  // prices from the product's number, status by st; each from a hash of its own of i, so that they
  // do not follow one another as residues of i would.
  const std::string insert = absl::StrFormat(
      "WITH o AS (SELECT i, "
      "  (hashint8(i * 8 + 1) & 2147483647) %% %d + 1 AS c, "
      "  (hashint8(i * 8 + 2) & 2147483647) %% %d + 1 AS p1, "
      "  (hashint8(i * 8 + 3) & 2147483647) %% %d + 1 AS p2, "
      "  (hashint8(i * 8 + 4) & 2147483647) %% 100 AS st, i %% 3 + 1 AS q1, i %% 2 + 1 AS q2 "
      "  FROM generate_series($1::bigint, $2::bigint) i), "
      "x AS (SELECT o.*, (p1 - 1) / %d + 1 AS s1, (p2 - 1) / %d + 1 AS s2, "
      "  1 + (p1 %% 500) / 10.0 AS price1, 1 + (p2 %% 500) / 10.0 AS price2 FROM o) "
      "INSERT INTO orders (order_id, customer_id, customer_name, items, total, status, "
      "  product_ids, store_ids, created_at) "
      "SELECT md5('o' || i)::uuid::text, md5('c' || c)::uuid::text, 'Customer ' || c, "
      "  jsonb_build_array("
      "    jsonb_build_object('product_id', md5('p' || p1)::uuid::text, 'store_id', "
      "      md5('s' || s1)::uuid::text, 'product_name', 'Product ' || p1, 'store_name', "
      "      'Store ' || s1, 'price', price1, 'quantity', q1),"
      "    jsonb_build_object('product_id', md5('p' || p2)::uuid::text, 'store_id', "
      "      md5('s' || s2)::uuid::text, 'product_name', 'Product ' || p2, 'store_name', "
      "      'Store ' || s2, 'price', price2, 'quantity', q2)), "
      "  price1 * q1 + price2 * q2, "
      "  CASE WHEN st < 70 THEN 'Completed' WHEN st < 80 THEN 'Canceled' "
      "    WHEN st < 88 THEN 'Rejected' WHEN st < 92 THEN 'New' "
      "    WHEN st < 96 THEN 'Approved' ELSE 'Ready For Pickup' END, "
      "  ARRAY[md5('p' || p1)::uuid::text, md5('p' || p2)::uuid::text], "
      "  CASE WHEN s1 = s2 THEN ARRAY[md5('s' || s1)::uuid::text] "
      "    ELSE ARRAY[md5('s' || s1)::uuid::text, md5('s' || s2)::uuid::text] END, "
      "  now() - i * interval '30 seconds' "
      "FROM x",
      kCustomers, kStores * kProductsPerStore, kStores * kProductsPerStore, kProductsPerStore,
      kProductsPerStore);
  constexpr int64_t kBatch = 100000;
  for (int64_t from = 1; from <= orders; from += kBatch) {
    const int64_t to = std::min(orders, from + kBatch - 1);
    auto r = db.Exec(insert, {from, to});
    if (!r.ok()) return r.status();
    std::fprintf(stderr, "\rseeding: %lld / %lld orders", static_cast<long long>(to),
                 static_cast<long long>(orders));
  }
  std::fprintf(stderr, "\n");
  for (const char* sql : {"VACUUM ANALYZE orders", "VACUUM ANALYZE customers_cache"}) {
    if (auto r = db.Exec(sql); !r.ok()) return r.status();
  }
  return absl::OkStatus();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

google::protobuf::Timestamp Ago(absl::Duration d) {
  google::protobuf::Timestamp t;
  t.set_seconds(absl::ToUnixSeconds(absl::Now() - d));
  return t;
}

// A kind of search: the requests it makes (each call a new one, from the random source).
struct Filter {
  std::string name;
  std::function<Request(std::mt19937_64&)> request;
};

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "search_bench: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ApplyReleaseDefaults();
  log::Init({.service = "bench", .level = log::Level::kError});
  int64_t orders = 1000000;
  int requests = 300;  // per filter
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--orders=")) (void)absl::SimpleAtoi(arg, &orders);
    if (absl::ConsumePrefix(&arg, "--requests=")) (void)absl::SimpleAtoi(arg, &requests);
  }
  setenv("EDA_SOURCE_DIR", SOURCE_DIR, 0);  // the topology file the service reads
  auto pg = testing::PostgresServer::Start({.durable = true});
  if (!pg.ok()) return Fail(pg.status());
  auto nats = testing::NatsServer::StartFromTopology();
  if (!nats.ok()) return Fail(nats.status());
  // Its peers are never called: every name is in its caches.
  auto search = testing::ServiceUnderTest::StartWith(
      SEARCH_BINARY, "search", **pg, **nats,
      {"--rpc-services=CUSTOMERS=127.0.0.1:1,STORES=127.0.0.1:1"});
  if (!search.ok()) return Fail(search.status());
  auto db = pg::Connection::Open((*search)->dsn());
  if (!db.ok()) return Fail(db.status());

  const absl::Time seed_start = absl::Now();
  if (absl::Status s = Seed(*db, orders); !s.ok()) return Fail(s);
  const double seed_s = absl::ToDoubleSeconds(absl::Now() - seed_start);
  std::printf("seeded %lld orders in %.1f s\n", static_cast<long long>(orders), seed_s);

  auto pick = [](std::mt19937_64& rng, int n) {
    return std::uniform_int_distribution<int>(1, n)(rng);
  };
  // The ids of the seeded customers, stores and products (computed once: the requests must not
  // pay for them).
  std::vector<std::string> customers, stores, products;
  for (int i = 1; i <= 500; ++i) customers.push_back(SeedId(*db, "c", i * 37 % kCustomers + 1));
  for (int i = 1; i <= kStores; ++i) stores.push_back(SeedId(*db, "s", i));
  for (int i = 1; i <= kStores * kProductsPerStore; ++i) products.push_back(SeedId(*db, "p", i));
  const std::vector<std::string> statuses = {"New",      "Approved",         "Rejected",
                                             "Canceled", "Ready For Pickup", "Completed"};
  auto any = [&](std::mt19937_64& rng, const std::vector<std::string>& from) {
    return from[static_cast<size_t>(pick(rng, static_cast<int>(from.size())) - 1)];
  };
  const int64_t span_days = orders * 30 / 86400 + 1;

  std::vector<Filter> filters = {
      {"none", [](std::mt19937_64&) { return Request(); }},
      {"customer",
       [&](std::mt19937_64& rng) {
         Request r;
         r.mutable_filters()->set_customer_id(any(rng, customers));
         return r;
       }},
      {"status",
       [&](std::mt19937_64& rng) {
         Request r;
         r.mutable_filters()->set_status(any(rng, statuses));
         return r;
       }},
      {"store",
       [&](std::mt19937_64& rng) {
         Request r;
         r.mutable_filters()->add_store_ids(any(rng, stores));
         return r;
       }},
      {"product",
       [&](std::mt19937_64& rng) {
         Request r;
         r.mutable_filters()->add_product_ids(any(rng, products));
         return r;
       }},
      {"total",
       [&](std::mt19937_64& rng) {
         Request r;
         const double low = pick(rng, 150);
         r.mutable_filters()->set_min_total(low);
         r.mutable_filters()->set_max_total(low + 2);
         return r;
       }},
      {"created",  // one day, somewhere in the seeded span
       [&](std::mt19937_64& rng) {
         Request r;
         const int64_t day = pick(rng, static_cast<int>(span_days));
         *r.mutable_filters()->mutable_after() = Ago(absl::Hours(24 * day));
         *r.mutable_filters()->mutable_before() = Ago(absl::Hours(24 * (day - 1)));
         return r;
       }},
      {"combined",  // a store's completed orders of at least 50
       [&](std::mt19937_64& rng) {
         Request r;
         r.mutable_filters()->add_store_ids(any(rng, stores));
         r.mutable_filters()->set_status("Completed");
         r.mutable_filters()->set_min_total(50);
         return r;
       }},
      {"rare",  // a store's orders still new: few, spread over the whole year
       [&](std::mt19937_64& rng) {
         Request r;
         r.mutable_filters()->add_store_ids(any(rng, stores));
         r.mutable_filters()->set_status("New");
         return r;
       }},
  };

  auto stub = searchpb::SearchService::NewStub(
      grpc::CreateChannel((*search)->grpc_target(), grpc::InsecureChannelCredentials()));
  auto call = [&](const Request& req, searchpb::SearchOrdersResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return stub->SearchOrders(&ctx, req, resp);
  };

  // The floor: a primary-key read of one order, straight through libpq.
  std::vector<double> floor_ms;
  {
    std::mt19937_64 rng(1);
    for (int i = 0; i < 1000; ++i) {
      const std::string id = SeedId(*db, "o", pick(rng, static_cast<int>(orders)));
      const absl::Time t0 = absl::Now();
      auto r = db->Exec("SELECT * FROM orders WHERE order_id = $1", {id});
      floor_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      if (!r.ok() || r->rows() != 1) return Fail(absl::InternalError("the floor's read failed"));
    }
  }
  const double floor_p50 = Percentile(floor_ms, 0.5);
  std::printf("floor: primary-key SELECT through libpq p50 %.3f ms p99 %.3f ms\n", floor_p50,
              Percentile(floor_ms, 0.99));

  std::vector<std::string> json = {absl::StrFormat("\"orders\":%d", orders),
                                   absl::StrFormat("\"seed_s\":%.1f", seed_s),
                                   absl::StrFormat("\"floor_pk_p50_ms\":%.3f", floor_p50)};
  double worst_p50 = 0, worst_p99 = 0;
  int missed = 0;
  std::printf("\n%-10s %9s %9s %9s %8s  %s\n", "filter", "p50 ms", "p99 ms", "rows/page",
              "p50/floor", "target");
  for (const Filter& f : filters) {
    std::mt19937_64 rng(42);
    // A few requests first: the service's connections and PostgreSQL's caches warm.
    for (int i = 0; i < 20; ++i) {
      searchpb::SearchOrdersResponse resp;
      (void)call(f.request(rng), &resp);
    }
    std::vector<double> ms;
    int64_t rows = 0;
    for (int i = 0; i < requests; ++i) {
      const Request req = f.request(rng);
      searchpb::SearchOrdersResponse resp;
      const absl::Time t0 = absl::Now();
      grpc::Status s = call(req, &resp);
      ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      if (!s.ok()) {
        return Fail(absl::InternalError(absl::StrCat(f.name, ": ", s.error_message())));
      }
      rows += resp.orders_size();
    }
    const double p50 = Percentile(ms, 0.5), p99 = Percentile(ms, 0.99);
    const bool met = p50 <= kTargetP50Ms && p99 <= kTargetP99Ms;
    if (!met) ++missed;
    worst_p50 = std::max(worst_p50, p50);
    worst_p99 = std::max(worst_p99, p99);
    std::printf("%-10s %9.2f %9.2f %9.1f %8.1fx  %s\n", f.name.c_str(), p50, p99,
                static_cast<double>(rows) / requests, p50 / floor_p50, met ? "met" : "MISSED");
    json.push_back(
        absl::StrFormat("\"%s_p50_ms\":%.2f,\"%s_p99_ms\":%.2f", f.name, p50, f.name, p99));
  }

  // Page two of a store's orders: the cursor's keyset condition.
  {
    std::mt19937_64 rng(7);
    std::vector<double> ms;
    for (int i = 0; i < requests; ++i) {
      Request req;
      req.mutable_filters()->add_store_ids(any(rng, stores));
      searchpb::SearchOrdersResponse first;
      if (grpc::Status s = call(req, &first); !s.ok() || first.next().empty()) {
        return Fail(absl::InternalError("page one of a store's orders has no next page"));
      }
      req.set_next(first.next());
      searchpb::SearchOrdersResponse second;
      const absl::Time t0 = absl::Now();
      grpc::Status s = call(req, &second);
      ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      if (!s.ok()) return Fail(absl::InternalError(s.error_message()));
    }
    const double p50 = Percentile(ms, 0.5), p99 = Percentile(ms, 0.99);
    const bool met = p50 <= kTargetP50Ms && p99 <= kTargetP99Ms;
    if (!met) ++missed;
    worst_p50 = std::max(worst_p50, p50);
    worst_p99 = std::max(worst_p99, p99);
    std::printf("%-10s %9.2f %9.2f %9s %8.1fx  %s\n", "next_page", p50, p99, "20", p50 / floor_p50,
                met ? "met" : "MISSED");
    json.push_back(
        absl::StrFormat("\"next_page_p50_ms\":%.2f,\"next_page_p99_ms\":%.2f", p50, p99));
  }

  // The plans: each filter's first request, as the service states it (QueryOf, then the
  // statement of the read model, one row more than the page as SearchOrders asks).
  std::printf("\nplans (EXPLAIN ANALYZE of the statement the service runs):\n");
  for (const Filter& f : filters) {
    std::mt19937_64 rng(42);
    auto query = search::application::QueryOf(f.request(rng));
    if (!query.ok()) return Fail(query.status());
    query->limit += 1;
    search::postgres::SearchStatement st = search::postgres::SearchStatementOf(*query, "orders");
    auto plan = db->Exec("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + st.sql, st.params);
    if (!plan.ok()) return Fail(plan.status());
    std::printf("-- %s\n", f.name.c_str());
    for (int i = 0; i < plan->rows(); ++i)
      std::printf("   %s\n", std::string(plan->Text(i, 0)).c_str());
  }

  std::printf("\n%d of %zu searches met the target (p50 <= %.0f ms, p99 <= %.0f ms)\n",
              static_cast<int>(filters.size()) + 1 - missed, filters.size() + 1, kTargetP50Ms,
              kTargetP99Ms);
  json.push_back(
      absl::StrFormat("\"worst_p50_ms\":%.2f,\"worst_p99_ms\":%.2f", worst_p50, worst_p99));
  json.push_back(absl::StrFormat("\"worst_p50_over_floor\":%.1f,\"targets_missed\":%d",
                                 worst_p50 / floor_p50, missed));
  std::printf("RESULT {%s}\n", absl::StrJoin(json, ",").c_str());
  return 0;
}
