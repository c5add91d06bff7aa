// File: errors.h
// The one place where PostgreSQL errors become absl::Status codes.
//
//   23505 unique_violation, 23xxx integrity          -> AlreadyExists / FailedPrecondition
//   40001 serialization_failure, 40P01 deadlock      -> Aborted (the caller may retry)
//   55P03 lock_not_available, 57014 query_canceled   -> Unavailable / DeadlineExceeded
//   08xxx connection exceptions, 57P01..57P03        -> Unavailable
//   22xxx data exceptions                             -> InvalidArgument
//   53xxx insufficient resources                      -> ResourceExhausted
//   58xxx system errors                               -> Unavailable
//   25P02 in failed transaction                       -> FailedPrecondition
//   anything else                                     -> Internal
// The message carries the context, the server's message and the SQLSTATE.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

struct pg_result;
struct pg_conn;

namespace eda::pg {

absl::StatusCode CodeForSqlState(absl::string_view sqlstate);

// Status for a failed command result (nullptr result: the connection's error message is used).
absl::Status StatusFromResult(const pg_result* result, const pg_conn* conn,
                              absl::string_view context);

// The SQLSTATE carried in a status produced here, or "" if none.
std::string SqlStateOf(const absl::Status& status);

// True for a foreign_key_violation (23503): a row referenced something that does not exist.
bool IsForeignKeyViolation(const absl::Status& status);

}  // namespace eda::pg
