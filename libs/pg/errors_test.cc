#include "libs/pg/errors.h"

#include "gtest/gtest.h"

namespace eda::pg {
namespace {

TEST(PgErrorsTest, SqlStatesMapToStatusCodes) {
  EXPECT_EQ(CodeForSqlState("23505"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeForSqlState("23503"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeForSqlState("40001"), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeForSqlState("40P01"), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeForSqlState("08006"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("57P01"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("57014"), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(CodeForSqlState("22P02"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("42P01"), absl::StatusCode::kInternal);
  EXPECT_EQ(CodeForSqlState("53100"), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(CodeForSqlState("58030"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("25P02"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeForSqlState(""), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace eda::pg
