#include "libs/observability/logging.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/observability/trace_context.h"

namespace eda::log {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(LoggingTest, JsonLineHasTheStandardKeysAndEscapes) {
  Init({.service = "stores", .level = Level::kInfo, .json = true});
  std::string line = Render(Level::kWarn, "say \"hi\"\n",
                            {KV("store_id", "s-1"), KV("n", 3), KV("ok", true), KV("ratio", 0.5)});
  EXPECT_THAT(line,
              MatchesRegex(R"(\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z","level":"warn".*)"));
  EXPECT_THAT(line, HasSubstr(R"("service":"stores","msg":"say \"hi\"\n")"));
  EXPECT_THAT(line, HasSubstr(R"("fields":{"store_id":"s-1","n":3,"ok":true,"ratio":0.5})"));
  EXPECT_THAT(line, Not(HasSubstr("trace_id")));
}

TEST(LoggingTest, CurrentSpanIsAttached) {
  Init({.service = "ordering"});
  obs::SpanContext span = obs::SpanContext::NewRoot();
  obs::ScopedSpan scope(span);
  std::string line = Render(Level::kInfo, "m", {});
  EXPECT_THAT(line, HasSubstr("\"trace_id\":\"" + span.TraceIdHex() + "\",\"span_id\":\"" +
                              span.SpanIdHex() + "\""));
}

TEST(LoggingTest, NonFiniteNumbersAreQuoted) {
  std::string line = Render(Level::kInfo, "m", {KV("x", std::numeric_limits<double>::infinity())});
  EXPECT_THAT(line, HasSubstr(R"("x":"inf")"));
}

TEST(LoggingTest, LevelFilteringAndParsing) {
  Init({.service = "s", .level = Level::kWarn});
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("WARN"), Level::kWarn);
  EXPECT_FALSE(ParseLevel("loud").has_value());
  Init({.service = "s", .level = Level::kInfo});
}

}  // namespace
}  // namespace eda::log
