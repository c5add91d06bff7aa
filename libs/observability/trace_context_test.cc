#include "libs/observability/trace_context.h"

#include "gtest/gtest.h"

namespace eda::obs {
namespace {

constexpr char kExample[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContextTest, ParsesAndRendersTheW3cExample) {
  std::optional<SpanContext> span = SpanContext::Parse(kExample);
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span->SpanIdHex(), "00f067aa0ba902b7");
  EXPECT_TRUE(span->sampled());
  EXPECT_EQ(span->Traceparent(), kExample);
}

TEST(TraceContextTest, RejectsMalformedHeaders) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",        // no flags
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // forbidden version
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // upper case
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xx",  // v00 with extra
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
       }) {
    EXPECT_FALSE(SpanContext::Parse(bad).has_value()) << bad;
  }
  // A future version may carry more fields after the flags.
  EXPECT_TRUE(SpanContext::Parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
                  .has_value());
}

TEST(TraceContextTest, ChildKeepsTraceAndGetsNewSpan) {
  SpanContext root = SpanContext::NewRoot();
  SpanContext child = root.NewChild();
  EXPECT_EQ(child.TraceIdHex(), root.TraceIdHex());
  EXPECT_NE(child.SpanIdHex(), root.SpanIdHex());
  EXPECT_NE(SpanContext::NewRoot().TraceIdHex(), root.TraceIdHex());
  EXPECT_TRUE(SpanContext::Parse(child.Traceparent()).has_value());
}

TEST(TraceContextTest, ScopedSpanSetsAndRestoresTheCurrentSpan) {
  EXPECT_EQ(CurrentSpan(), nullptr);
  SpanContext outer = SpanContext::NewRoot();
  {
    ScopedSpan a(outer);
    ASSERT_NE(CurrentSpan(), nullptr);
    EXPECT_EQ(*CurrentSpan(), outer);
    {
      ScopedSpan b(outer.NewChild());
      EXPECT_NE(CurrentSpan()->SpanIdHex(), outer.SpanIdHex());
    }
    EXPECT_EQ(*CurrentSpan(), outer);
  }
  EXPECT_EQ(CurrentSpan(), nullptr);
}

TEST(TraceContextTest, MessageMetadataRoundTrip) {
  SpanContext span = SpanContext::NewRoot();
  span.set_tracestate("vendor=abc");
  std::map<std::string, std::string> md{{"COMMAND_SAGA_ID", "s1"}};
  InjectTrace(span, md);
  EXPECT_EQ(md["traceparent"], span.Traceparent());
  std::optional<SpanContext> back = ExtractTrace(md);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, span);
  using Metadata = std::map<std::string, std::string>;
  EXPECT_FALSE(ExtractTrace(Metadata{{"traceparent", "garbage"}}).has_value());
  EXPECT_FALSE(ExtractTrace(Metadata{}).has_value());
}

}  // namespace
}  // namespace eda::obs
