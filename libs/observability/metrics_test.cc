#include "libs/observability/metrics.h"

#include <httplib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/observability/ops_server.h"

namespace eda::obs {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, ExpositionHasLabelledSeries) {
  MetricsRegistry metrics;
  metrics.Counter("widgets_total", "Widgets made").Add({{"color", "red"}}).Increment(2);
  metrics.Gauge("queue_depth", "Items queued").Add({}).Set(7);
  metrics.Histogram("op_seconds", "Op latency")
      .Add({{"op", "x"}}, MetricsRegistry::LatencyBuckets())
      .Observe(0.003);
  // Registering again returns the same family.
  metrics.Counter("widgets_total", "Widgets made").Add({{"color", "red"}}).Increment();
  std::string text = metrics.Exposition();
  EXPECT_THAT(text, HasSubstr("# TYPE widgets_total counter"));
  EXPECT_THAT(text, HasSubstr("widgets_total{color=\"red\"} 3"));
  EXPECT_THAT(text, HasSubstr("queue_depth 7"));
  EXPECT_THAT(text, HasSubstr("op_seconds_bucket{op=\"x\",le=\"0.005\"} 1"));
  EXPECT_THAT(text, HasSubstr("op_seconds_count{op=\"x\"} 1"));
}

TEST(OpsServerTest, ServesHealthReadinessAndMetrics) {
  MetricsRegistry metrics;
  metrics.Counter("pings_total", "Pings").Add({}).Increment();
  auto server = OpsServer::Start({.host = "127.0.0.1", .port = 0}, metrics);
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client client("127.0.0.1", (*server)->port());

  auto healthz = client.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, 200);

  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);

  bool db_up = true;
  (*server)->AddReadinessCheck("postgres", [&db_up] {
    return db_up ? absl::OkStatus() : absl::UnavailableError("connection lost");
  });
  EXPECT_EQ(client.Get("/readyz")->status, 200);
  db_up = false;
  auto not_ready = client.Get("/readyz");
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_THAT(not_ready->body, HasSubstr("\"postgres\":\"UNAVAILABLE: connection lost\""));
  db_up = true;
  (*server)->SetDraining(true);
  auto draining = client.Get("/readyz");
  EXPECT_EQ(draining->status, 503);
  EXPECT_THAT(draining->body, HasSubstr("\"draining\":true"));
  EXPECT_EQ(client.Get("/healthz")->status, 200);  // alive while draining

  auto text = client.Get("/metrics");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200);
  EXPECT_THAT(text->body, HasSubstr("pings_total 1"));
  (*server)->Stop();
}

TEST(OpsServerTest, PortInUseIsUnavailable) {
  MetricsRegistry metrics;
  auto first = OpsServer::Start({.host = "127.0.0.1", .port = 0}, metrics);
  ASSERT_TRUE(first.ok());
  auto second = OpsServer::Start({.host = "127.0.0.1", .port = (*first)->port()}, metrics);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace eda::obs
