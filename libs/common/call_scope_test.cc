#include "libs/common/call_scope.h"

#include "gtest/gtest.h"

namespace eda {
namespace {

TEST(CallScopeTest, OutsideACallNothingIsOver) {
  EXPECT_EQ(CallScope::Deadline(), absl::InfiniteFuture());
  EXPECT_TRUE(CallScope::Check().ok());
}

TEST(CallScopeTest, TellsWhenTheDeadlinePassedOrTheCallerCancelled) {
  bool cancelled = false;
  {
    CallScope call(absl::Now() + absl::Hours(1), [&] { return cancelled; });
    EXPECT_TRUE(CallScope::Check().ok());
    cancelled = true;
    EXPECT_EQ(CallScope::Check().code(), absl::StatusCode::kCancelled);
    {
      const absl::Time past = absl::Now() - absl::Seconds(1);
      CallScope inner(past, nullptr);
      EXPECT_EQ(CallScope::Deadline(), past);
      EXPECT_EQ(CallScope::Check().code(), absl::StatusCode::kDeadlineExceeded);
    }
    EXPECT_EQ(CallScope::Check().code(), absl::StatusCode::kCancelled);  // the outer again
  }
  EXPECT_TRUE(CallScope::Check().ok());
}

}  // namespace
}  // namespace eda
