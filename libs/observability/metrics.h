// File: metrics.h
// The metrics registry of a process: counters, gauges and histograms with labels (prometheus-cpp
// families) and their Prometheus text exposition, served on /metrics by the ops HTTP server.
//
//   auto& created = metrics.Counter("stores_created_total", "Stores created");
//   created.Add({}).Increment();
//   auto& latency = metrics.Histogram("relay_publish_seconds", "...", {0.001, 0.01, 0.1});
//   latency.Add({{"subject", s}}, metrics.buckets()).Observe(0.002);
//
// Registering a name twice with the same type returns the same family. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace eda::obs {

class MetricsRegistry final {
 public:
  MetricsRegistry();

  prometheus::Family<prometheus::Counter>& Counter(const std::string& name,
                                                   const std::string& help);
  prometheus::Family<prometheus::Gauge>& Gauge(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Histogram>& Histogram(const std::string& name,
                                                       const std::string& help);

  // The Prometheus text exposition format (version 0.0.4) of every registered metric.
  std::string Exposition() const;

  prometheus::Registry& registry() { return *registry_; }

  // Latency buckets in seconds, from 100 µs to 10 s.
  static const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace eda::obs
