// File: status_macros.h
// Early-return helpers for absl::Status / absl::StatusOr (Debian's Abseil 20220623 has none).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// Returns the status of `expr` from the enclosing function if it is not OK.
#define EDA_RETURN_IF_ERROR(expr)                                       \
  do {                                                                  \
    if (::absl::Status _eda_st = (expr); !_eda_st.ok()) return _eda_st; \
  } while (0)

#define EDA_STATUS_CONCAT_INNER(a, b) a##b
#define EDA_STATUS_CONCAT(a, b) EDA_STATUS_CONCAT_INNER(a, b)

// EDA_ASSIGN_OR_RETURN(auto x, Foo());  declares `x` from the StatusOr's value or returns its
// status from the enclosing function.
#define EDA_ASSIGN_OR_RETURN(lhs, expr) \
  EDA_ASSIGN_OR_RETURN_IMPL(EDA_STATUS_CONCAT(_eda_statusor_, __LINE__), lhs, expr)
#define EDA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()

namespace eda {

// The payload key under which a status made from a database error carries its SQLSTATE
// (pg/errors.h): such a status holds server detail (SQL, names) that stays out of client replies.
inline constexpr absl::string_view kSqlStatePayload = "eda.pg/sqlstate";

// Prefixes a status message with context, keeping its code and payloads: "context: message".
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), std::string(context) + ": " + std::string(status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace eda
