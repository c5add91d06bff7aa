// Measures the raw floors alone: PostgreSQL commit rate (1 and 4 clients, synchronous commit)
// and JetStream async publish / pull fetch+ack rates, on servers started for the run.
//
//   make bench          (or: build/release/bench/floors_bench)
#include <cstdio>

#include "absl/strings/str_format.h"
#include "bench/floors.h"
#include "libs/common/process.h"
#include "libs/testing/harness.h"

int main() {
  eda::ApplyReleaseDefaults();
  auto pg = eda::testing::PostgresServer::Start({.durable = true});
  if (!pg.ok()) {
    std::fprintf(stderr, "postgres: %s\n", pg.status().ToString().c_str());
    return 1;
  }
  auto nats = eda::testing::NatsServer::Start();
  if (!nats.ok()) {
    std::fprintf(stderr, "nats-server: %s\n", nats.status().ToString().c_str());
    return 1;
  }
  auto dsn = (*pg)->CreateDatabase("bench");
  if (!dsn.ok()) {
    std::fprintf(stderr, "%s\n", dsn.status().ToString().c_str());
    return 1;
  }
  auto pg1 = eda::bench::MeasurePgCommits(*dsn, 1, absl::Seconds(3));
  auto pg4 = eda::bench::MeasurePgCommits(*dsn, 4, absl::Seconds(3));
  auto js = eda::bench::MeasureJetStream((*nats)->url(), 100000);
  if (!pg1.ok() || !pg4.ok() || !js.ok()) {
    std::fprintf(stderr, "failed: %s %s %s\n", pg1.status().ToString().c_str(),
                 pg4.status().ToString().c_str(), js.status().ToString().c_str());
    return 1;
  }
  std::printf("raw PostgreSQL INSERT+COMMIT, 1 client : %8.0f commits/s  p50 %.3f ms\n",
              pg1->commits_per_s, pg1->p50_ms);
  std::printf("raw PostgreSQL INSERT+COMMIT, 4 clients: %8.0f commits/s  p50 %.3f ms\n",
              pg4->commits_per_s, pg4->p50_ms);
  std::printf("raw JetStream async publish (256 B)    : %8.0f msgs/s\n",
              js->publish_async_msgs_per_s);
  std::printf("raw JetStream pull fetch+ack (batch 100): %8.0f msgs/s\n", js->fetch_ack_msgs_per_s);
  std::printf("RESULT %s\n",
              absl::StrFormat("{\"raw_pg_commits_per_s_1\":%.0f,\"raw_pg_commits_per_s\":%.0f,"
                              "\"raw_js_publish_msgs_per_s\":%.0f,\"raw_js_msgs_per_s\":%.0f}",
                              pg1->commits_per_s, pg4->commits_per_s, js->publish_async_msgs_per_s,
                              js->fetch_ack_msgs_per_s)
                  .c_str());
  return 0;
}
