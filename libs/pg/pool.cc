#include "libs/pg/pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/common/call_scope.h"
#include "libs/common/status_macros.h"

namespace eda::pg {

Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_));
}

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(PoolOptions options) {
  if (options.size < 1) return absl::InvalidArgumentError("pg pool: size must be at least 1");
  absl::StatusOr<Connection> first = Connection::Open(options.dsn);
  if (!first.ok()) return first.status();
  std::unique_ptr<Pool> pool(new Pool(std::move(options)));
  absl::MutexLock lock(&pool->mu_);
  pool->idle_.push_back(std::make_unique<Connection>(*std::move(first)));
  pool->open_ = 1;
  return pool;
}

absl::StatusOr<Lease> Pool::Acquire() {
  EDA_RETURN_IF_ERROR(CallScope::Check());
  return Acquire(std::min(options_.acquire_timeout, CallScope::Deadline() - absl::Now()));
}

absl::StatusOr<Lease> Pool::Acquire(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::unique_ptr<Connection> conn;  // an idle one, if any
    {
      absl::MutexLock lock(&mu_);
      ++waiting_;
      auto available = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return !idle_.empty() || open_ < options_.size;
      };
      const bool got = mu_.AwaitWithDeadline(absl::Condition(&available), deadline);
      --waiting_;
      if (!got) {
        return absl::ResourceExhaustedError(absl::StrCat("pg pool: no connection free within ",
                                                         absl::FormatDuration(timeout), " (all ",
                                                         options_.size, " in use)"));
      }
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;  // reserve the slot, then connect without holding the lock
      }
    }
    if (conn == nullptr) break;
    // A connection that died while idle (a database restart) is replaced before a unit of work
    // starts on it, so that the unit of work does not fail for it. (Asked outside the lock: it
    // is a system call.)
    if (conn->StillAlive()) return Lease(this, std::move(conn));
    conn.reset();
    absl::MutexLock lock(&mu_);
    --open_;
    ++replaced_;
  }
  absl::StatusOr<Connection> conn = Connection::Open(options_.dsn);
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return conn.status();
  }
  return Lease(this, std::make_unique<Connection>(*std::move(conn)));
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  const bool healthy = conn->Healthy();
  if (!healthy) conn.reset();  // close outside the lock
  absl::MutexLock lock(&mu_);
  if (healthy) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
    ++replaced_;
  }
}

Pool::Stats Pool::stats() const {
  absl::MutexLock lock(&mu_);
  return Stats{.open = open_,
               .idle = static_cast<int>(idle_.size()),
               .waiting = waiting_,
               .replaced = replaced_};
}

}  // namespace eda::pg
