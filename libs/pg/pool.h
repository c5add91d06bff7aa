// File: pool.h
// A bounded pool of PostgreSQL connections with RAII leases.
//
//   EDA_ASSIGN_OR_RETURN(pg::Lease conn, pool.Acquire());
//   EDA_ASSIGN_OR_RETURN(pg::Result r, conn->Exec("SELECT 1"));
//   // the connection goes back to the pool when `conn` is destroyed
//
// At most `size` connections exist at once; they are opened lazily. Acquire() waits up to the
// timeout for one to be free (ResourceExhausted after that). A connection returned broken (link
// lost, or a transaction left open) is closed, and its slot is reopened by the next Acquire().
// Thread-safe. The pool must outlive its leases.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/pg/connection.h"

namespace eda::pg {

class Pool;

// Exclusive use of one pooled connection until destroyed.
class Lease final {
 public:
  Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
    other.pool_ = nullptr;
  }
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  Connection* operator->() const { return conn_.get(); }
  Connection& operator*() const { return *conn_; }

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}

  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

struct PoolOptions {
  std::string dsn;
  int size = 4;
  absl::Duration acquire_timeout = absl::Seconds(5);
};

class Pool final {
 public:
  // Opens one connection to check the DSN. Errors: Unavailable (cannot connect),
  // InvalidArgument (size < 1).
  static absl::StatusOr<std::unique_ptr<Pool>> Create(PoolOptions options);

  // Waits up to the pool's acquire timeout, or until the deadline of the call this thread
  // serves (CallScope), whichever comes first.
  absl::StatusOr<Lease> Acquire();
  // Errors: ResourceExhausted when no connection is free within `timeout`; Unavailable when a
  // new connection cannot be opened.
  absl::StatusOr<Lease> Acquire(absl::Duration timeout);

  struct Stats {
    int open = 0;          // connections that exist
    int idle = 0;          // of which free
    int waiting = 0;       // callers blocked in Acquire
    int64_t replaced = 0;  // broken connections discarded
  };
  Stats stats() const;
  int size() const { return options_.size; }
  const std::string& dsn() const { return options_.dsn; }

 private:
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}
  void Release(std::unique_ptr<Connection> conn);
  friend class Lease;

  const PoolOptions options_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t replaced_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace eda::pg
