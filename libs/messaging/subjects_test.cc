#include "libs/messaging/subjects.h"

#include "gtest/gtest.h"

namespace eda::messaging {
namespace {

TEST(IntersectTest, NarrowsToTheSubjectsBothMatch) {
  EXPECT_EQ(Intersect("mallbots.>", "mallbots.stores.>"), "mallbots.stores.>");
  EXPECT_EQ(Intersect("mallbots.stores.>", "mallbots.>"), "mallbots.stores.>");
  EXPECT_EQ(Intersect("mallbots.*.events.>", "mallbots.stores.>"), "mallbots.stores.events.>");
  EXPECT_EQ(Intersect("*.*.commands", "mallbots.customers.>"), "mallbots.customers.commands");
  EXPECT_EQ(Intersect("mallbots.stores.events.Store", "mallbots.stores.>"),
            "mallbots.stores.events.Store");
  EXPECT_EQ(Intersect(">", "a.b"), "a.b");
  EXPECT_EQ(Intersect("a.*", "a.b"), "a.b");
}

TEST(IntersectTest, FindsNothingWhenNoSubjectMatchesBoth) {
  EXPECT_EQ(Intersect("mallbots.stores.>", "mallbots.customers.>"), std::nullopt);
  EXPECT_EQ(Intersect("mallbots.>", "mallbots"), std::nullopt);  // > needs one more token
  EXPECT_EQ(Intersect("a.*", "a.b.c"), std::nullopt);
  EXPECT_EQ(Intersect("a.b", "a.b.c"), std::nullopt);
}

TEST(SubjectMatchesTest, TellsWhetherAPatternTakesASubject) {
  EXPECT_TRUE(SubjectMatches("mallbots.customers.>", "mallbots.customers.events.Customer"));
  EXPECT_TRUE(SubjectMatches("mallbots.*.commands", "mallbots.depot.commands"));
  EXPECT_TRUE(
      SubjectMatches("mallbots.cosec.replies.CreateOrder", "mallbots.cosec.replies.CreateOrder"));
  EXPECT_FALSE(SubjectMatches("mallbots.customers.>", "mallbots.cosec.replies.CreateOrder"));
  EXPECT_FALSE(SubjectMatches("mallbots.customers.>", "mallbots.customers"));
  EXPECT_FALSE(SubjectMatches("mallbots.*", "mallbots.depot.commands"));
}

}  // namespace
}  // namespace eda::messaging
