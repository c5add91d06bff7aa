// The wire names the service publishes with (messages.h) are exactly those its API proto
// declares, each for the type it declares it on.
#include "services/baskets/api/messages.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baskets::api {
namespace {

using ::testing::UnorderedElementsAre;

TEST(BasketsApiTest, RegistersExactlyTheNamesOfMessagesH) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  EXPECT_THAT(registry.Names(),
              UnorderedElementsAre(kBasketStarted, kBasketCanceled, kBasketCheckedOut));
}

TEST(BasketsApiTest, EachNameDecodesAsItsType) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  const std::pair<const char*, const char*> kTypes[] = {
      {kBasketStarted, "basketspb.BasketStarted"},
      {kBasketCanceled, "basketspb.BasketCanceled"},
      {kBasketCheckedOut, "basketspb.BasketCheckedOut"},
  };
  for (const auto& [name, type] : kTypes) {
    auto decoded = registry.Decode(name, "");
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status();
    EXPECT_EQ((*decoded)->GetTypeName(), type) << name;
  }
}

}  // namespace
}  // namespace baskets::api
