// File: trace_context.h
// W3C Trace Context (https://www.w3.org/TR/trace-context/): parsing and generating `traceparent`,
// the current span of a thread, and propagation through message metadata and gRPC metadata.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace grpc {
class ClientContext;
class string_ref;
}  // namespace grpc

namespace eda::obs {

class SpanContext final {
 public:
  // A new trace with a random trace id and span id, sampled.
  static SpanContext NewRoot();
  // Parses a traceparent header ("00-<32 hex>-<16 hex>-<2 hex>"); nullopt if malformed, if the
  // version is ff, or if the trace or parent id is all zeros.
  static std::optional<SpanContext> Parse(absl::string_view traceparent);

  // A span in the same trace whose parent is this span.
  SpanContext NewChild() const;

  std::string Traceparent() const;
  std::string TraceIdHex() const;
  std::string SpanIdHex() const;
  bool sampled() const { return (flags_ & 1) != 0; }
  const std::string& tracestate() const { return tracestate_; }
  void set_tracestate(std::string s) { tracestate_ = std::move(s); }

  friend bool operator==(const SpanContext&, const SpanContext&) = default;

 private:
  SpanContext() = default;

  std::array<uint8_t, 16> trace_id_{};
  std::array<uint8_t, 8> span_id_{};
  uint8_t flags_ = 1;
  std::string tracestate_;
};

// The span the calling thread is working in, or nullptr.
const SpanContext* CurrentSpan();

// Sets the calling thread's current span (nullopt clears it) and returns the previous one. For
// adapters whose scope is not a C++ block (interceptor hooks); prefer ScopedSpan elsewhere.
// The thread keeps its own copy, so nothing dangles if the caller never restores it.
std::optional<SpanContext> SetCurrentSpan(std::optional<SpanContext> span);

// Makes `span` the current span of this thread for the scope's lifetime.
class ScopedSpan final {
 public:
  explicit ScopedSpan(SpanContext span);
  ~ScopedSpan();
  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;
  const SpanContext& span() const { return span_; }

 private:
  SpanContext span_;
  std::optional<SpanContext> previous_;
};

// Message metadata (string keys, spec §3.3): writes `traceparent` (and `tracestate` when set).
void InjectTrace(const SpanContext& span, std::map<std::string, std::string>& metadata);
// Reads `traceparent`/`tracestate`; nullopt when absent or malformed.
std::optional<SpanContext> ExtractTrace(const std::map<std::string, std::string>& metadata);

// gRPC client side: adds the current span's child context (or a new root) to an outgoing call.
void InjectTrace(grpc::ClientContext& context);
// gRPC server side: reads the incoming call's trace context; nullopt when absent or malformed.
std::optional<SpanContext> ExtractTrace(
    const std::multimap<grpc::string_ref, grpc::string_ref>& client_metadata);

}  // namespace eda::obs
