#include "libs/pg/health.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "libs/pg/connection.h"

namespace eda::pg {

HealthProbe::HealthProbe(Options options) : options_(std::move(options)) {
  absl::MutexLock lock(&mu_);
  last_ok_ = absl::Now();
}

std::unique_ptr<HealthProbe> HealthProbe::Start(Options options) {
  std::unique_ptr<HealthProbe> probe(new HealthProbe(std::move(options)));
  probe->thread_ = std::thread([raw = probe.get()] { raw->Loop(); });
  return probe;
}

HealthProbe::~HealthProbe() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool HealthProbe::healthy() const { return status().ok(); }

absl::Status HealthProbe::status() const {
  absl::MutexLock lock(&mu_);
  if (!last_error_.ok()) return last_error_;
  const absl::Duration since = absl::Now() - last_ok_;
  if (since > options_.every + options_.timeout) {
    return absl::UnavailableError(
        absl::StrCat("the database has not answered for ", absl::FormatDuration(since)));
  }
  return absl::OkStatus();
}

void HealthProbe::Loop() {
  std::optional<Connection> conn;
  while (true) {
    absl::Status s;
    if (!conn.has_value() || !conn->Connected()) {
      conn.reset();
      absl::StatusOr<Connection> opened = Connection::Open(options_.dsn);
      if (opened.ok()) {
        conn.emplace(*std::move(opened));
      } else {
        s = opened.status();
      }
    }
    if (conn.has_value()) {
      absl::StatusOr<Result> r = conn->Exec("SELECT 1");
      if (!r.ok()) {
        s = r.status();
        conn.reset();
      }
    }
    absl::MutexLock lock(&mu_);
    if (s.ok()) last_ok_ = absl::Now();
    last_error_ =
        s.ok()
            ? absl::OkStatus()
            : absl::UnavailableError(absl::StrCat("the database does not answer: ", s.message()));
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.every)) return;
  }
}

}  // namespace eda::pg
