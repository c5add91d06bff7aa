// The wire names the service publishes with (messages.h) are exactly those its API proto
// declares, each for the type it declares it on.
#include "services/stores/api/messages.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stores::api {
namespace {

using ::testing::UnorderedElementsAre;

TEST(StoresApiTest, RegistersExactlyTheNamesOfMessagesH) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  EXPECT_THAT(registry.Names(),
              UnorderedElementsAre(kStoreCreated, kStoreParticipatingToggled, kStoreRebranded,
                                   kProductAdded, kProductRebranded, kProductPriceIncreased,
                                   kProductPriceDecreased, kProductRemoved));
}

TEST(StoresApiTest, EachNameDecodesAsItsType) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  const std::pair<const char*, const char*> kTypes[] = {
      {kStoreCreated, "storespb.StoreCreated"},
      {kStoreParticipatingToggled, "storespb.StoreParticipationToggled"},
      {kStoreRebranded, "storespb.StoreRebranded"},
      {kProductAdded, "storespb.ProductAdded"},
      {kProductRebranded, "storespb.ProductRebranded"},
      {kProductPriceIncreased, "storespb.ProductPriceChanged"},
      {kProductPriceDecreased, "storespb.ProductPriceChanged"},
      {kProductRemoved, "storespb.ProductRemoved"},
  };
  for (const auto& [name, type] : kTypes) {
    auto decoded = registry.Decode(name, "");
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status();
    EXPECT_EQ((*decoded)->GetTypeName(), type) << name;
  }
}

}  // namespace
}  // namespace stores::api
