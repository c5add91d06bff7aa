// File: connection.h
// RAII over libpq: a Connection, the Result of a command, and query parameters.
//
// Queries are always parameterized ($1, $2, ...): values travel separately from the SQL text.
// SELECT/INSERT/UPDATE/DELETE/WITH statements are prepared once per connection (by their text)
// and executed by name afterwards, so repeated statements are parsed and planned once.
// Results are in text format; Result converts to the usual C++ types and decodes bytea.
//
// A Connection is used by one thread at a time (libpq's rule); share connections through Pool.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/common/c_handle.h"

struct pg_conn;
struct pg_result;
extern "C" {
void PQfinish(pg_conn*);
void PQclear(pg_result*);
}

namespace eda::pg {

using PgConnPtr = std::unique_ptr<pg_conn, CFree<&PQfinish>>;
using PgResultPtr = std::unique_ptr<pg_result, CFree<&PQclear>>;

// One query parameter, sent in text format, or binary for bytea (Param::Bytes).
class Param final {
 public:
  Param(std::nullptr_t) {}                                // NOLINT: SQL NULL
  Param(absl::string_view v) : value_(std::string(v)) {}  // NOLINT
  Param(const std::string& v) : value_(v) {}              // NOLINT
  Param(const char* v) : value_(std::string(v)) {}        // NOLINT
  Param(int v) : value_(std::to_string(v)) {}             // NOLINT
  Param(int64_t v) : value_(std::to_string(v)) {}         // NOLINT
  Param(double v);                                        // NOLINT
  Param(bool v) : value_(v ? "t" : "f") {}                // NOLINT
  template <typename T>
  Param(const std::optional<T>& v) {  // NOLINT: nullopt is NULL
    if (v.has_value()) *this = Param(*v);
  }
  // Raw bytes for a bytea parameter.
  static Param Bytes(absl::string_view bytes);

  const std::optional<std::string>& value() const { return value_; }
  bool binary() const { return binary_; }

 private:
  std::optional<std::string> value_;
  bool binary_ = false;
};

class Result final {
 public:
  explicit Result(PgResultPtr result);

  int rows() const;
  int columns() const;
  // Rows changed by INSERT/UPDATE/DELETE (0 for other commands).
  int64_t affected() const;

  bool IsNull(int row, int col) const;
  absl::string_view Text(int row, int col) const;  // "" for NULL
  absl::StatusOr<int64_t> Int(int row, int col) const;
  absl::StatusOr<double> Double(int row, int col) const;
  bool Bool(int row, int col) const;
  // Decodes a bytea column returned in text (hex) format.
  absl::StatusOr<std::string> Bytes(int row, int col) const;
  // The command tag, e.g. "INSERT 0 1" or "ROLLBACK".
  absl::string_view command_status() const;
  // Column index by name, or -1.
  int Column(absl::string_view name) const;
  // The name of column `col` (its alias when the query gives one).
  absl::string_view ColumnName(int col) const;

 private:
  PgResultPtr result_;
};

class Connection final {
 public:
  // Connects with a libpq connection string ("host=... dbname=..." or a postgresql:// URI).
  // Unless the string says otherwise, a connection attempt gives up after 5 s, TCP keepalives
  // and a 30 s TCP user timeout notice a server that vanished, and the session runs with
  // statement_timeout 30 s, idle_in_transaction_session_timeout 60 s and server-side TCP
  // keepalives (10 s idle, 5 s x 3) so the server frees a vanished client's locks (`options`; a
  // DSN that sets `options` replaces them all).
  // Errors: Unavailable when the server cannot be reached or refuses the login.
  static absl::StatusOr<Connection> Open(const std::string& dsn);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Runs one parameterized statement. Errors are mapped by errors.h, prefixed with `sql`'s first
  // words for context.
  absl::StatusOr<Result> Exec(absl::string_view sql, absl::Span<const Param> params);
  absl::StatusOr<Result> Exec(absl::string_view sql, std::initializer_list<Param> params = {}) {
    return Exec(sql, absl::Span<const Param>(params.begin(), params.size()));
  }
  // Runs a script of several statements with no parameters (migrations). Returns the last error.
  absl::Status ExecScript(absl::string_view sql);

  // Sends several statements in one round trip (libpq pipeline mode). `results` receives the
  // result of each statement that succeeded, in order; the server skips the statements after a
  // failed one. Returns the first error, annotated with that statement and passed through its
  // on_error, if it has one (e.g. a unique violation that means a concurrent change -> Aborted).
  struct Statement {
    std::string sql;
    std::vector<Param> params;
    std::function<absl::Status(absl::Status)> on_error = nullptr;
  };
  absl::Status ExecPipeline(const std::vector<Statement>& statements, std::vector<Result>* results);

  // Runs several parameterless statements in one round trip (simple query protocol). `tags`
  // receives the command tag of each statement that succeeded, in order (e.g. {"COMMIT",
  // "NOTIFY"}); the server skips the statements after a failed one. Returns the first error.
  absl::Status ExecBatch(absl::string_view sql, std::vector<std::string>* tags);

  // True while the link is up and no transaction is left open or failed.
  bool Healthy() const;
  // True while the link is up (CONNECTION_OK).
  bool Connected() const;
  // For an idle connection (not listening, no query in flight): false when the server has sent
  // anything since, which means it is closing the connection (a terminated backend, a server
  // shutting down). Does not block and sends nothing.
  bool StillAlive() const;
  // The server process id serving this connection.
  int BackendPid() const;

  pg_conn* raw() const { return conn_.get(); }

 private:
  explicit Connection(PgConnPtr conn) : conn_(std::move(conn)) {}
  static bool Preparable(absl::string_view sql);

  // At most this many statements are prepared per connection; others are sent unnamed.
  static constexpr size_t kMaxPrepared = 256;

  PgConnPtr conn_;
  std::map<std::string, std::string> prepared_;  // SQL text -> prepared statement name
  int next_prepared_ = 0;
};

// A text[] literal for a parameter: {"a","b\"c"} (every element quoted and escaped).
std::string TextArray(const std::vector<std::string>& values);

// Short description of a statement for error messages: its first few words.
std::string SqlContext(absl::string_view sql);

}  // namespace eda::pg
