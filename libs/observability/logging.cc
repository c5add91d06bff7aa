#include "libs/observability/logging.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/observability/trace_context.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace eda::log {
namespace internal {
std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
}  // namespace internal

namespace {

struct State {
  absl::Mutex mu;
  Options options ABSL_GUARDED_BY(mu);
  // Both write to stdout through one sink (one lock, one buffer, the order kept); `logger`
  // flushes after every line, `frequent` leaves its lines in the buffer for the next flush.
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<spdlog::logger> frequent;
};

State& GetState() {
  static State* state = [] {
    auto* s = new State();
    // std::cout writes through to stdout's C buffer (synchronised with stdio): what the sink
    // leaves unflushed waits there, and exit() flushes it.
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(std::cout, /*force_flush=*/false);
    s->logger = std::make_shared<spdlog::logger>("eda", sink);
    s->frequent = std::make_shared<spdlog::logger>("eda-frequent", sink);
    for (spdlog::logger* l : {s->logger.get(), s->frequent.get()}) {
      l->set_pattern("%v");
      l->set_level(spdlog::level::trace);
    }
    s->logger->flush_on(spdlog::level::trace);
    s->frequent->flush_on(spdlog::level::off);
    spdlog::register_logger(s->frequent);
    spdlog::flush_every(std::chrono::seconds(absl::ToInt64Seconds(kFrequentFlushEvery)));
    return s;
  }();
  return *state;
}

constexpr absl::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error"};

void AppendJsonString(std::string& out, absl::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::string_view(&"0123456789abcdef"[c >> 4], 1),
                          absl::string_view(&"0123456789abcdef"[c & 0xf], 1));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace

void Init(const Options& options) {
  State& s = GetState();
  absl::MutexLock lock(&s.mu);
  s.options = options;
  internal::min_level.store(static_cast<int>(options.level));
}

std::optional<Level> ParseLevel(absl::string_view name) {
  const std::string upper = absl::AsciiStrToUpper(name);
  if (upper == "TRACE") return Level::kTrace;
  if (upper == "DEBUG") return Level::kDebug;
  if (upper == "INFO") return Level::kInfo;
  if (upper == "WARN" || upper == "WARNING") return Level::kWarn;
  if (upper == "ERROR") return Level::kError;
  return std::nullopt;
}

std::string Render(Level level, absl::string_view msg, const std::vector<Field>& fields) {
  State& s = GetState();
  std::string service;
  bool json;
  {
    absl::MutexLock lock(&s.mu);
    service = s.options.service;
    json = s.options.json;
  }
  const obs::SpanContext* span = obs::CurrentSpan();
  const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  const absl::string_view level_name = kLevelNames[static_cast<int>(level)];
  std::string out;
  out.reserve(160 + msg.size());
  if (!json) {
    absl::StrAppend(&out, ts, " ", absl::AsciiStrToUpper(level_name), " ", service, ": ", msg);
    for (const Field& f : fields) absl::StrAppend(&out, " ", f.key, "=", f.value);
    if (span != nullptr) absl::StrAppend(&out, " trace_id=", span->TraceIdHex());
    return out;
  }
  out += "{\"ts\":\"";
  absl::StrAppend(&out, ts, "\",\"level\":\"", level_name, "\",\"service\":");
  AppendJsonString(out, service);
  out += ",\"msg\":";
  AppendJsonString(out, msg);
  if (span != nullptr) {
    absl::StrAppend(&out, ",\"trace_id\":\"", span->TraceIdHex(), "\",\"span_id\":\"",
                    span->SpanIdHex(), "\"");
  }
  if (!fields.empty()) {
    out += ",\"fields\":{";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(out, fields[i].key);
      out.push_back(':');
      if (fields[i].raw) {
        out += fields[i].value;
      } else {
        AppendJsonString(out, fields[i].value);
      }
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

Line::~Line() {
  State& s = GetState();
  (frequent_ ? s.frequent : s.logger)->info(Render(level_, msg_.str(), fields_));
}

}  // namespace eda::log
