// The wire names the service publishes and answers (messages.h) are exactly those its API proto
// declares, each for the type it declares it on.
#include "services/depot/api/messages.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace depot::api {
namespace {

using ::testing::UnorderedElementsAre;

TEST(DepotApiTest, RegistersExactlyTheNamesOfMessagesH) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  EXPECT_THAT(registry.Names(),
              UnorderedElementsAre(kShoppingListCompleted, kCreateShoppingList, kCancelShoppingList,
                                   kInitiateShopping, kCreatedShoppingList));
}

TEST(DepotApiTest, EachNameDecodesAsItsType) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  const std::pair<const char*, const char*> kTypes[] = {
      {kShoppingListCompleted, "depotpb.ShoppingListCompleted"},
      {kCreateShoppingList, "depotpb.CreateShoppingList"},
      {kCancelShoppingList, "depotpb.CancelShoppingList"},
      {kInitiateShopping, "depotpb.InitiateShopping"},
      {kCreatedShoppingList, "depotpb.CreatedShoppingList"},
  };
  for (const auto& [name, type] : kTypes) {
    auto decoded = registry.Decode(name, "");
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status();
    EXPECT_EQ((*decoded)->GetTypeName(), type) << name;
  }
}

}  // namespace
}  // namespace depot::api
