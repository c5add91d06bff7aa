#include "libs/common/shutdown.h"

#include <signal.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace eda {
namespace {

// Each test case runs in its own process (gtest_discover_tests), so installing the process-wide
// handler here affects nothing else.
TEST(ShutdownSignalTest, SigtermEndsTheWait) {
  ShutdownSignal& shutdown = ShutdownSignal::Install();
  EXPECT_FALSE(shutdown.requested());
  EXPECT_FALSE(shutdown.WaitFor(absl::Milliseconds(10)));
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);  // blocked in this thread, taken by the signal thread
  EXPECT_TRUE(shutdown.WaitFor(absl::Seconds(5)));
  EXPECT_EQ(shutdown.reason(), "SIGTERM");
}

TEST(ShutdownSignalTest, TriggerEndsTheWaitOnce) {
  ShutdownSignal& shutdown = ShutdownSignal::Install();
  shutdown.Trigger("fatal: lost the database");
  shutdown.Trigger("second reason is ignored");
  shutdown.Wait();
  EXPECT_EQ(shutdown.reason(), "fatal: lost the database");
}

}  // namespace
}  // namespace eda
