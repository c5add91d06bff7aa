#include "libs/common/ids.h"

#include <set>

#include "gtest/gtest.h"

namespace eda {
namespace {

TEST(IdsTest, UuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdsTest, IsUuidRejectsMalformedIds) {
  EXPECT_TRUE(IsUuid("123E4567-e89b-12d3-a456-426614174000"));
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-4266141740000"));
}

TEST(IdsTest, RandomHexHasTheAskedLength) {
  EXPECT_EQ(RandomHex(16).size(), 32u);
  EXPECT_EQ(RandomHex(3).size(), 6u);
  EXPECT_NE(RandomHex(16), RandomHex(16));
}

}  // namespace
}  // namespace eda
