#include "libs/common/config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace eda {
namespace {

std::string VariableFromFlag(absl::string_view flag) {
  std::string v = absl::AsciiStrToUpper(flag);
  absl::StrReplaceAll({{"-", "_"}}, &v);
  return v;
}

}  // namespace

Config::Config(int argc, const char* const* argv) : from_flags_(true) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      errors_.push_back(
          absl::StrCat("unexpected argument '", arg, "' (flags look like --name=value)"));
      continue;
    }
    arg.remove_prefix(2);
    std::string value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      errors_.push_back(absl::StrCat("flag --", arg, " needs a value"));
      continue;
    }
    overrides_[VariableFromFlag(arg)] = value;
  }
}

Config::Config(std::map<std::string, std::string> values)
    : overrides_(std::move(values)), use_environment_(false) {}

std::string Config::FlagName(absl::string_view variable) {
  std::string f = absl::AsciiStrToLower(variable);
  absl::StrReplaceAll({{"_", "-"}}, &f);
  return absl::StrCat("--", f);
}

std::optional<std::string> Config::Lookup(absl::string_view name) {
  read_.insert(std::string(name));
  if (auto it = overrides_.find(std::string(name)); it != overrides_.end()) return it->second;
  if (use_environment_) {
    if (const char* v = std::getenv(std::string(name).c_str()); v != nullptr) return std::string(v);
  }
  return std::nullopt;
}

void Config::Error(absl::string_view name, absl::string_view problem) {
  errors_.push_back(absl::StrCat(name, " (flag ", FlagName(name), "): ", problem));
}

std::string Config::String(absl::string_view name, absl::string_view default_value) {
  return Lookup(name).value_or(std::string(default_value));
}

std::optional<std::string> Config::OptionalString(absl::string_view name) { return Lookup(name); }

std::string Config::RequiredString(absl::string_view name) {
  std::optional<std::string> v = Lookup(name);
  if (!v.has_value() || v->empty()) {
    Error(name, "is required but not set");
    return "";
  }
  return *v;
}

int64_t Config::Int(absl::string_view name, int64_t default_value, int64_t min, int64_t max) {
  std::optional<std::string> v = Lookup(name);
  if (!v.has_value()) return default_value;
  int64_t out = 0;
  if (!absl::SimpleAtoi(*v, &out)) {
    Error(name, absl::StrCat("'", *v, "' is not an integer"));
    return default_value;
  }
  if (out < min || out > max) {
    Error(name, absl::StrCat(out, " is out of range [", min, ", ", max, "]"));
    return default_value;
  }
  return out;
}

bool Config::Bool(absl::string_view name, bool default_value) {
  std::optional<std::string> v = Lookup(name);
  if (!v.has_value()) return default_value;
  bool out = false;
  if (!absl::SimpleAtob(*v, &out)) {
    Error(name, absl::StrCat("'", *v, "' is not a boolean (true/false/1/0/yes/no)"));
    return default_value;
  }
  return out;
}

absl::Duration Config::Duration(absl::string_view name, absl::Duration default_value) {
  std::optional<std::string> v = Lookup(name);
  if (!v.has_value()) return default_value;
  absl::Duration out;
  if (!absl::ParseDuration(*v, &out) || out < absl::ZeroDuration()) {
    Error(name, absl::StrCat("'", *v, "' is not a duration (e.g. 30s, 250ms, 1m)"));
    return default_value;
  }
  return out;
}

int Config::Port(absl::string_view name, int default_value) {
  std::optional<std::string> v = Lookup(name);
  if (!v.has_value()) return default_value;
  absl::string_view digits = *v;
  if (!digits.empty() && digits[0] == ':') digits.remove_prefix(1);
  int port = 0;
  if (!absl::SimpleAtoi(digits, &port) || port < 0 || port > 65535) {
    Error(name, absl::StrCat("'", *v, "' is not a port (0-65535, optionally with a leading ':')"));
    return default_value;
  }
  return port;
}

absl::Status Config::Check() const {
  std::vector<std::string> errors = errors_;
  if (from_flags_) {
    for (const auto& [name, value] : overrides_) {
      if (read_.count(name) == 0) {
        errors.push_back(absl::StrCat("unknown flag ", FlagName(name), "=", value));
      }
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid configuration:\n  ", absl::StrJoin(errors, "\n  ")));
}

}  // namespace eda
