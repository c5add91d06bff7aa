// File: config.h
// Process configuration from environment variables, overridable by command-line flags.
//
//   eda::Config config(argc, argv);
//   int port = config.Int("GRPC_PORT", 9000, 0, 65535);
//   std::string dsn = config.RequiredString("PG_CONN");
//   if (absl::Status s = config.Check(); !s.ok()) { /* log s, exit 1 */ }
//
// A variable FOO_BAR may be overridden by the flag --foo-bar=value (or --foo-bar value). Every
// problem (missing required variable, malformed value, unknown flag) is collected and reported by
// Check() with the variable's name, so startup fails with one clear message.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace eda {

class Config final {
 public:
  // Reads the process environment; flags in argv[1..] override it.
  Config(int argc, const char* const* argv);
  // For tests: only the given values exist.
  explicit Config(std::map<std::string, std::string> values);

  std::string String(absl::string_view name, absl::string_view default_value);
  std::string RequiredString(absl::string_view name);
  std::optional<std::string> OptionalString(absl::string_view name);
  int64_t Int(absl::string_view name, int64_t default_value, int64_t min, int64_t max);
  bool Bool(absl::string_view name, bool default_value);
  // Accepts Go/absl duration syntax: "30s", "250ms", "1m30s", "0".
  absl::Duration Duration(absl::string_view name, absl::Duration default_value);
  // A TCP port, 0-65535; a leading colon (":9000", as the reference system writes it) is allowed.
  int Port(absl::string_view name, int default_value);
  // Records a problem with a variable that the caller validated itself.
  void Invalid(absl::string_view name, absl::string_view problem) { Error(name, problem); }

  // OK, or InvalidArgument listing every problem found so far (one per line), including flags
  // that name no variable asked for before the call (misspellings).
  absl::Status Check() const;

  // Maps a variable name to its flag: GRPC_PORT -> --grpc-port.
  static std::string FlagName(absl::string_view variable);

 private:
  std::optional<std::string> Lookup(absl::string_view name);
  void Error(absl::string_view name, absl::string_view problem);

  std::map<std::string, std::string> overrides_;  // from flags, keyed by variable name
  bool use_environment_ = true;
  bool from_flags_ = false;
  std::set<std::string> read_;  // names asked for, to report flags nobody asked for
  std::vector<std::string> errors_;
};

}  // namespace eda
