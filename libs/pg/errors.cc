#include "libs/pg/errors.h"

#include <libpq-fe.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/status_macros.h"

namespace eda::pg {
namespace {}  // namespace

absl::StatusCode CodeForSqlState(absl::string_view s) {
  if (s.size() != 5) return absl::StatusCode::kUnavailable;  // no SQLSTATE: the link failed
  if (s == "23505") return absl::StatusCode::kAlreadyExists;
  if (s == "40001" || s == "40P01") return absl::StatusCode::kAborted;
  if (s == "55P03") return absl::StatusCode::kUnavailable;
  if (s == "57014") return absl::StatusCode::kDeadlineExceeded;
  if (s == "57P01" || s == "57P02" || s == "57P03") return absl::StatusCode::kUnavailable;
  // "current transaction is aborted": a consequence of an earlier error, not retryable alone.
  if (s == "25P02") return absl::StatusCode::kFailedPrecondition;
  absl::string_view cls = s.substr(0, 2);
  if (cls == "53") return absl::StatusCode::kResourceExhausted;  // disk full, out of memory, ...
  if (cls == "58") return absl::StatusCode::kUnavailable;        // system / I/O error
  if (cls == "08") return absl::StatusCode::kUnavailable;
  if (cls == "23") return absl::StatusCode::kFailedPrecondition;
  if (cls == "22") return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kInternal;
}

absl::Status StatusFromResult(const pg_result* result, const pg_conn* conn,
                              absl::string_view context) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  absl::string_view sqlstate = state != nullptr ? state : "";
  absl::string_view message;
  if (result != nullptr && PQresultErrorMessage(result)[0] != '\0') {
    message = PQresultErrorMessage(result);
  } else if (conn != nullptr) {
    message = PQerrorMessage(conn);
  }
  message = absl::StripTrailingAsciiWhitespace(message);
  if (message.empty()) message = "unknown error";
  // A broken connection reports no SQLSTATE; CodeForSqlState maps that to Unavailable.
  absl::StatusCode code = CodeForSqlState(sqlstate);
  if (sqlstate.empty() && conn != nullptr && PQstatus(conn) == CONNECTION_OK && result != nullptr) {
    code = absl::StatusCode::kInternal;
  }
  absl::Status status(
      code, absl::StrCat(context, ": ", message,
                         sqlstate.empty() ? "" : absl::StrCat(" (SQLSTATE ", sqlstate, ")")));
  if (!sqlstate.empty()) status.SetPayload(kSqlStatePayload, absl::Cord(sqlstate));
  return status;
}

std::string SqlStateOf(const absl::Status& status) {
  auto payload = status.GetPayload(kSqlStatePayload);
  return payload.has_value() ? std::string(*payload) : std::string();
}

bool IsForeignKeyViolation(const absl::Status& status) { return SqlStateOf(status) == "23503"; }

}  // namespace eda::pg
