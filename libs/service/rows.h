// File: rows.h
// Read-model rows as messages: each column of a result sets the field of the same name of a
// protobuf message (queries answer in the API's own messages, so a read model needs no mapping
// code of its own).
//
//   EDA_ASSIGN_OR_RETURN(pg::Result r, tx.Exec("SELECT id, name, price::float8 AS price ..."));
//   EDA_ASSIGN_OR_RETURN(std::vector<storespb::Product> products, RowsAs<storespb::Product>(r));
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/connection.h"

namespace eda::service {

// Sets the fields of `out` from row `row`: strings from any column, bools, 32/64-bit integers,
// doubles and floats from their text, google.protobuf.Timestamp fields from seconds since the
// epoch (`extract(epoch from at)`); NULL leaves a field unset. Errors: Internal naming a column
// that has no field of its name, or whose value does not fit its field.
absl::Status FillFromRow(const pg::Result& result, int row, google::protobuf::Message& out);

template <typename M>
absl::StatusOr<M> RowAs(const pg::Result& result, int row) {
  M message;
  if (absl::Status s = FillFromRow(result, row, message); !s.ok()) return s;
  return message;
}

// Row 0 as M, or nullopt when the result has no rows (a lookup by key).
template <typename M>
absl::StatusOr<std::optional<M>> FirstRowAs(const pg::Result& result) {
  if (result.rows() == 0) return std::nullopt;
  absl::StatusOr<M> m = RowAs<M>(result, 0);
  if (!m.ok()) return m.status();
  return *std::move(m);
}

template <typename M>
absl::StatusOr<std::vector<M>> RowsAs(const pg::Result& result) {
  std::vector<M> out;
  out.reserve(result.rows());
  for (int i = 0; i < result.rows(); ++i) {
    absl::StatusOr<M> m = RowAs<M>(result, i);
    if (!m.ok()) return m.status();
    out.push_back(*std::move(m));
  }
  return out;
}

}  // namespace eda::service
