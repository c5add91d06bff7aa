#include "libs/observability/trace_context.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/string_ref.h>

#include <algorithm>
#include <random>

namespace eda::obs {
namespace {

thread_local std::optional<SpanContext> current_span;

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return rng;
}

template <size_t N>
void FillRandomNonZero(std::array<uint8_t, N>& out) {
  do {
    for (size_t i = 0; i < N; i += 8) {
      uint64_t w = Rng()();
      for (size_t j = 0; j < 8 && i + j < N; ++j) out[i + j] = static_cast<uint8_t>(w >> (8 * j));
    }
  } while (std::all_of(out.begin(), out.end(), [](uint8_t b) { return b == 0; }));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is not allowed by the spec
}

template <size_t N>
bool ParseHex(absl::string_view s, std::array<uint8_t, N>& out) {
  if (s.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    int hi = HexValue(s[2 * i]), lo = HexValue(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& in) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(2 * N, '0');
  for (size_t i = 0; i < N; ++i) {
    s[2 * i] = kDigits[in[i] >> 4];
    s[2 * i + 1] = kDigits[in[i] & 0xf];
  }
  return s;
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& a) {
  return std::all_of(a.begin(), a.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace

SpanContext SpanContext::NewRoot() {
  SpanContext s;
  FillRandomNonZero(s.trace_id_);
  FillRandomNonZero(s.span_id_);
  return s;
}

std::optional<SpanContext> SpanContext::Parse(absl::string_view tp) {
  // version "-" trace-id "-" parent-id "-" flags; later versions may append "-..." fields.
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  std::array<uint8_t, 1> version;
  if (!ParseHex(tp.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  if (version[0] == 0 && tp.size() != 55) return std::nullopt;
  if (tp.size() > 55 && tp[55] != '-') return std::nullopt;
  SpanContext s;
  std::array<uint8_t, 1> flags;
  if (!ParseHex(tp.substr(3, 32), s.trace_id_) || !ParseHex(tp.substr(36, 16), s.span_id_) ||
      !ParseHex(tp.substr(53, 2), flags)) {
    return std::nullopt;
  }
  if (AllZero(s.trace_id_) || AllZero(s.span_id_)) return std::nullopt;
  s.flags_ = flags[0];
  return s;
}

SpanContext SpanContext::NewChild() const {
  SpanContext child = *this;
  FillRandomNonZero(child.span_id_);
  return child;
}

std::string SpanContext::Traceparent() const {
  std::array<uint8_t, 1> flags{flags_};
  return "00-" + Hex(trace_id_) + "-" + Hex(span_id_) + "-" + Hex(flags);
}

std::string SpanContext::TraceIdHex() const { return Hex(trace_id_); }
std::string SpanContext::SpanIdHex() const { return Hex(span_id_); }

const SpanContext* CurrentSpan() { return current_span.has_value() ? &*current_span : nullptr; }

std::optional<SpanContext> SetCurrentSpan(std::optional<SpanContext> span) {
  std::swap(span, current_span);
  return span;
}

ScopedSpan::ScopedSpan(SpanContext span)
    : span_(span), previous_(SetCurrentSpan(std::move(span))) {}

ScopedSpan::~ScopedSpan() { SetCurrentSpan(std::move(previous_)); }

void InjectTrace(const SpanContext& span, std::map<std::string, std::string>& metadata) {
  metadata["traceparent"] = span.Traceparent();
  if (!span.tracestate().empty()) metadata["tracestate"] = span.tracestate();
}

std::optional<SpanContext> ExtractTrace(const std::map<std::string, std::string>& metadata) {
  auto it = metadata.find("traceparent");
  if (it == metadata.end()) return std::nullopt;
  std::optional<SpanContext> span = SpanContext::Parse(it->second);
  if (span.has_value()) {
    if (auto ts = metadata.find("tracestate"); ts != metadata.end())
      span->set_tracestate(ts->second);
  }
  return span;
}

void InjectTrace(grpc::ClientContext& context) {
  const SpanContext* current = CurrentSpan();
  SpanContext span = current != nullptr ? current->NewChild() : SpanContext::NewRoot();
  context.AddMetadata("traceparent", span.Traceparent());
  if (!span.tracestate().empty()) context.AddMetadata("tracestate", span.tracestate());
}

std::optional<SpanContext> ExtractTrace(
    const std::multimap<grpc::string_ref, grpc::string_ref>& client_metadata) {
  auto it = client_metadata.find("traceparent");
  if (it == client_metadata.end()) return std::nullopt;
  std::optional<SpanContext> span =
      SpanContext::Parse(absl::string_view(it->second.data(), it->second.size()));
  if (span.has_value()) {
    if (auto ts = client_metadata.find("tracestate"); ts != client_metadata.end()) {
      span->set_tracestate(std::string(ts->second.data(), ts->second.size()));
    }
  }
  return span;
}

}  // namespace eda::obs
