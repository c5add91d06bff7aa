// File: logging.h
// Structured logs: one JSON object per line on stdout, with the time, level, service, message,
// the current trace and span ids (trace_context.h) and key/value fields:
//
//   LOG_INFO() << "order approved" << KV("order_id", id) << KV("items", 3);
//   {"ts":"2026-11-27T17:45:04.123456Z","level":"info","service":"ordering",
//    "msg":"order
//    approved","trace_id":"4bf9…","span_id":"00f0…","fields":{"order_id":"…","items":3}}
//
// Log at the edges (RPC handlers, consumers, relay, main), once per error, where it is handled.
// Thread-safe. Lines below the configured level cost one branch.
//
// Every line is flushed to stdout as it is written, except the lines of a stream that comes at
// the rate of the traffic (a `frequent` Line, e.g. the one per RPC): those stay in stdout's
// buffer until the next other line, a full buffer, or the background flush (kFrequentFlushEvery)
// takes them out, so that such a line costs no write(2) of its own. A process killed with
// SIGKILL loses at most that last second of them.
#pragma once

#include <atomic>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace eda::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError };

struct Options {
  std::string service = "mallbots";
  Level level = Level::kInfo;
  bool json = true;  // false: human-readable console lines
};

// Configures the process logger. Safe to call again (e.g. in tests).
void Init(const Options& options);
// Parses TRACE/DEBUG/INFO/WARN/ERROR (any case); nullopt for anything else.
std::optional<Level> ParseLevel(absl::string_view name);

namespace internal {
extern std::atomic<int> min_level;
}  // namespace internal

inline bool Enabled(Level level) {
  return static_cast<int>(level) >= internal::min_level.load(std::memory_order_relaxed);
}

// A key/value field of a log line. Numbers and booleans are written unquoted.
struct Field {
  std::string key;
  std::string value;
  bool raw = false;  // value is a JSON literal (number, true/false)
};

template <typename T>
Field KV(absl::string_view key, const T& value) {
  if constexpr (std::is_same_v<T, char> || std::is_same_v<T, signed char> ||
                std::is_same_v<T, unsigned char>) {
    return Field{std::string(key), std::string(1, static_cast<char>(value)), false};
  } else if constexpr (std::is_same_v<T, bool>) {
    return Field{std::string(key), value ? "true" : "false", true};
  } else if constexpr (std::is_arithmetic_v<T>) {
    std::ostringstream os;
    os << value;
    bool finite = true;
    if constexpr (std::is_floating_point_v<T>) finite = std::isfinite(value);
    return Field{std::string(key), os.str(), finite};  // JSON has no NaN/Infinity literals
  } else if constexpr (std::is_same_v<T, absl::Status>) {
    return Field{std::string(key), value.ToString(), false};
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    return Field{std::string(key), absl::FormatDuration(value), false};
  } else {
    std::ostringstream os;
    os << value;
    return Field{std::string(key), os.str(), false};
  }
}

// How long a `frequent` line may wait in stdout's buffer.
inline constexpr absl::Duration kFrequentFlushEvery = absl::Seconds(1);

// One log line; written when destroyed (flushed at once unless `frequent`).
class Line final {
 public:
  explicit Line(Level level, bool frequent = false) : level_(level), frequent_(frequent) {}
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& operator<<(Field field) {
    fields_.push_back(std::move(field));
    return *this;
  }
  template <typename T>
  Line& operator<<(const T& part) {
    msg_ << part;
    return *this;
  }

 private:
  Level level_;
  bool frequent_;
  std::ostringstream msg_;
  std::vector<Field> fields_;
};

// Renders one line as the logger would write it (exposed for tests).
std::string Render(Level level, absl::string_view msg, const std::vector<Field>& fields);

}  // namespace eda::log

namespace eda {
using log::KV;
}  // namespace eda

// A for statement, not if/else, so that `if (x) LOG_INFO() << ...;` has no dangling else.
#define EDA_LOG_AT(level)                                                               \
  for (bool _eda_log_on = ::eda::log::Enabled(level); _eda_log_on; _eda_log_on = false) \
  ::eda::log::Line(level)
#define LOG_TRACE() EDA_LOG_AT(::eda::log::Level::kTrace)
#define LOG_DEBUG() EDA_LOG_AT(::eda::log::Level::kDebug)
#define LOG_INFO() EDA_LOG_AT(::eda::log::Level::kInfo)
#define LOG_WARN() EDA_LOG_AT(::eda::log::Level::kWarn)
#define LOG_ERROR() EDA_LOG_AT(::eda::log::Level::kError)
