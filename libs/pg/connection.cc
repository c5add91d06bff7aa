#include "libs/pg/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "libs/pg/errors.h"

namespace eda::pg {

// 17 significant digits: the text reads back as the same double (StrCat keeps only 6).
Param::Param(double v) : value_(absl::StrFormat("%.17g", v)) {}

Param Param::Bytes(absl::string_view bytes) {
  Param p(bytes);
  p.binary_ = true;
  return p;
}

Result::Result(PgResultPtr result) : result_(std::move(result)) {}

int Result::rows() const { return PQntuples(result_.get()); }
int Result::columns() const { return PQnfields(result_.get()); }

int64_t Result::affected() const {
  int64_t n = 0;
  return absl::SimpleAtoi(PQcmdTuples(result_.get()), &n) ? n : 0;
}

bool Result::IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }

absl::string_view Result::Text(int row, int col) const {
  return absl::string_view(PQgetvalue(result_.get(), row, col),
                           static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}

absl::StatusOr<int64_t> Result::Int(int row, int col) const {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Text(row, col), &v)) {
    return absl::InternalError(absl::StrCat("column ", PQfname(result_.get(), col), ": '",
                                            Text(row, col), "' is not an integer"));
  }
  return v;
}

absl::StatusOr<double> Result::Double(int row, int col) const {
  double v = 0;
  if (!absl::SimpleAtod(Text(row, col), &v)) {
    return absl::InternalError(absl::StrCat("column ", PQfname(result_.get(), col), ": '",
                                            Text(row, col), "' is not a number"));
  }
  return v;
}

bool Result::Bool(int row, int col) const { return Text(row, col) == "t"; }

absl::StatusOr<std::string> Result::Bytes(int row, int col) const {
  size_t len = 0;
  unsigned char* raw = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, col)), &len);
  if (raw == nullptr) return absl::InternalError("bytea decode failed");
  std::string out(reinterpret_cast<char*>(raw), len);
  PQfreemem(raw);
  return out;
}

absl::string_view Result::command_status() const { return PQcmdStatus(result_.get()); }

absl::string_view Result::ColumnName(int col) const { return PQfname(result_.get(), col); }

int Result::Column(absl::string_view name) const {
  return PQfnumber(result_.get(), std::string(name).c_str());
}

absl::StatusOr<Connection> Connection::Open(const std::string& dsn) {
  // Defaults first; the DSN (expanded in place of "dbname") overrides any of them.
  static const char* const kKeys[] = {"connect_timeout",
                                      "keepalives",
                                      "keepalives_idle",
                                      "keepalives_interval",
                                      "keepalives_count",
                                      "tcp_user_timeout",
                                      "options",
                                      "dbname",
                                      nullptr};
  const char* const values[] = {"5",
                                "1",
                                "10",
                                "5",
                                "3",
                                "30000",
                                "-c statement_timeout=30s "
                                "-c idle_in_transaction_session_timeout=60s "
                                // The server notices a client that vanished (and frees the
                                // session's locks, e.g. the relay's lead) within ~25 s.
                                "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 "
                                "-c tcp_keepalives_count=3",
                                dsn.c_str(),
                                nullptr};
  PgConnPtr conn(PQconnectdbParams(kKeys, values, /*expand_dbname=*/1));
  if (conn == nullptr) return absl::ResourceExhaustedError("postgres connect: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    absl::string_view msg = PQerrorMessage(conn.get());
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.remove_suffix(1);
    return absl::UnavailableError(absl::StrCat("postgres connect: ", msg));
  }
  // Server notices ("relation already exists, skipping") are informational; libpq would print
  // them on stderr, which would break the one-JSON-object-per-line log format.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return Connection(std::move(conn));
}

absl::StatusOr<Result> Connection::Exec(absl::string_view sql, absl::Span<const Param> params) {
  std::vector<Result> results;
  absl::Status s = ExecPipeline(
      {Statement{std::string(sql), std::vector<Param>(params.begin(), params.end())}}, &results);
  if (!s.ok()) return s;
  return std::move(results.front());
}

absl::Status Connection::ExecScript(absl::string_view sql) {
  // PQexec runs a multi-statement string as one implicit transaction unless it has its own
  // BEGIN/COMMIT; the last result tells whether all of it succeeded.
  PgResultPtr res(PQexec(conn_.get(), std::string(sql).c_str()));
  const ExecStatusType st = res != nullptr ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
    return StatusFromResult(res.get(), conn_.get(), "script");
  }
  return absl::OkStatus();
}

namespace {

// Parameter arrays for PQexecParams/PQsendQueryParams.
struct ParamArrays {
  explicit ParamArrays(absl::Span<const Param> params)
      : values(params.size()), lengths(params.size()), formats(params.size()) {
    for (size_t i = 0; i < params.size(); ++i) {
      const std::optional<std::string>& v = params[i].value();
      values[i] = v.has_value() ? v->data() : nullptr;
      lengths[i] = v.has_value() ? static_cast<int>(v->size()) : 0;
      formats[i] = params[i].binary() ? 1 : 0;
    }
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

bool Succeeded(const PGresult* r) {
  const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

bool Connection::Preparable(absl::string_view sql) {
  for (absl::string_view verb : {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}) {
    if (sql.size() >= verb.size() && absl::EqualsIgnoreCase(sql.substr(0, verb.size()), verb)) {
      return true;
    }
  }
  return false;
}

absl::Status Connection::ExecPipeline(const std::vector<Statement>& statements,
                                      std::vector<Result>* results_out) {
  PGconn* c = conn_.get();
  std::vector<Result>& results = *results_out;
  results.clear();
  if (statements.empty()) return absl::OkStatus();
  for (const Statement& st : statements) {
    if (st.params.size() > 65535) {  // the protocol's limit per statement
      return absl::InvalidArgumentError(absl::StrCat(SqlContext(st.sql), ": ", st.params.size(),
                                                     " parameters; at most 65535 are allowed"));
    }
  }
  if (PQenterPipelineMode(c) != 1) return StatusFromResult(nullptr, c, "pipeline");
  // What was sent, in order: a statement to prepare (then its execution), or an execution.
  struct Sent {
    size_t statement;
    bool prepare;
    std::string name;  // prepared statement name, "" for an unnamed one
  };
  std::vector<Sent> sent_items;
  bool sent = true;
  for (size_t i = 0; i < statements.size() && sent; ++i) {
    const Statement& st = statements[i];
    const ParamArrays arrays(st.params);
    const int n = static_cast<int>(st.params.size());
    // Statements run often are parsed and planned once per connection (prepared statements).
    std::string name;
    if (auto it = prepared_.find(st.sql); it != prepared_.end()) {
      name = it->second;
    } else if (Preparable(st.sql) && prepared_.size() + sent_items.size() < kMaxPrepared) {
      name = absl::StrCat("eda_", next_prepared_++);
      sent = PQsendPrepare(c, name.c_str(), st.sql.c_str(), n, nullptr) == 1;
      sent_items.push_back({i, true, name});
    }
    if (!sent) break;
    sent = name.empty() ? PQsendQueryParams(c, st.sql.c_str(), n, nullptr, arrays.values.data(),
                                            arrays.lengths.data(), arrays.formats.data(), 0) == 1
                        : PQsendQueryPrepared(c, name.c_str(), n, arrays.values.data(),
                                              arrays.lengths.data(), arrays.formats.data(), 0) == 1;
    sent_items.push_back({i, false, name});
  }
  sent = sent && PQpipelineSync(c) == 1;
  absl::Status error;
  // Each item yields its result and then a NULL; the sync point ends the pipeline.
  for (size_t item = 0; sent;) {
    PgResultPtr r(PQgetResult(c));
    if (r == nullptr) {
      if (PQstatus(c) != CONNECTION_OK) break;
      ++item;
      continue;
    }
    const ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_PIPELINE_SYNC) break;
    if (item >= sent_items.size()) {  // an error of the implicit transaction's commit
      if (!Succeeded(r.get()) && error.ok()) error = StatusFromResult(r.get(), c, "commit");
      continue;
    }
    const Sent& what = sent_items[item];
    if (st == PGRES_PIPELINE_ABORTED) continue;  // skipped after an earlier error
    if (!Succeeded(r.get())) {
      if (error.ok()) {
        const Statement& failed = statements[what.statement];
        error = StatusFromResult(r.get(), c, SqlContext(failed.sql));
        if (failed.on_error && !what.prepare) {
          absl::Status mapped = failed.on_error(error);
          if (!mapped.ok())
            error = std::move(mapped);  // a mapping may rename an error, not drop it
        }
      }
    } else if (what.prepare) {
      prepared_.emplace(statements[what.statement].sql, what.name);
    } else {
      results.emplace_back(std::move(r));
    }
  }
  if (!sent) {
    // Half a pipeline went out and its results cannot be matched any more: close the
    // connection so that nobody (the pool, a rollback) uses it again.
    absl::Status s = StatusFromResult(nullptr, c, "pipeline send");
    conn_.reset();
    return absl::UnavailableError(absl::StrCat(s.message(), "; connection closed"));
  }
  const bool exited = PQexitPipelineMode(c) == 1;
  if (PQstatus(c) != CONNECTION_OK) return StatusFromResult(nullptr, c, "pipeline");
  if (!error.ok()) return error;
  if (!exited || results.size() != statements.size()) {
    return absl::InternalError("pipeline ended without every result");
  }
  return absl::OkStatus();
}

absl::Status Connection::ExecBatch(absl::string_view sql, std::vector<std::string>* tags) {
  PGconn* c = conn_.get();
  tags->clear();
  if (PQsendQuery(c, std::string(sql).c_str()) != 1) {
    return StatusFromResult(nullptr, c, SqlContext(sql));
  }
  absl::Status error;
  while (PgResultPtr r{PQgetResult(c)}) {
    if (!Succeeded(r.get())) {
      if (error.ok()) error = StatusFromResult(r.get(), c, SqlContext(sql));
      continue;
    }
    tags->emplace_back(PQcmdStatus(r.get()));
  }
  if (!error.ok()) return error;
  if (PQstatus(c) != CONNECTION_OK) return StatusFromResult(nullptr, c, SqlContext(sql));
  return absl::OkStatus();
}

bool Connection::StillAlive() const {
  if (!Connected()) return false;
  // An idle connection (no LISTEN, no query in flight) has nothing to read unless the server is
  // leaving: a terminated backend or a server shutting down sends its FATAL message, then closes.
  pollfd pfd{.fd = PQsocket(conn_.get()), .events = POLLIN, .revents = 0};
  return pfd.fd >= 0 && ::poll(&pfd, 1, 0) == 0;
}

bool Connection::Connected() const { return PQstatus(conn_.get()) == CONNECTION_OK; }

bool Connection::Healthy() const {
  return Connected() && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

int Connection::BackendPid() const { return PQbackendPID(conn_.get()); }

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string SqlContext(absl::string_view sql) {
  std::vector<absl::string_view> words =
      absl::StrSplit(sql, absl::ByAnyChar(" \n\t"), absl::SkipEmpty());
  std::string out;
  for (size_t i = 0; i < words.size() && i < 4; ++i) absl::StrAppend(&out, i ? " " : "", words[i]);
  return out;
}

}  // namespace eda::pg
