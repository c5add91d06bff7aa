#include "services/depot/domain/shopping_list.h"

#include "gtest/gtest.h"

namespace depot::domain {
namespace {

Line Pen(const std::string& store, int quantity) {
  return {.store_id = store,
          .store_name = "Store " + store,
          .store_location = "Level 1",
          .product_id = "pen",
          .product_name = "Pen",
          .quantity = quantity};
}

// [REF-DEFECT] the reference kept only the first quantity of a product named twice.
TEST(ShoppingListTest, StopsGroupByStoreAndSumAProductsQuantities) {
  ShoppingList list = *ShoppingList::Create("l", "o", {Pen("s1", 2), Pen("s1", 3), Pen("s2", 1)});
  const auto& stops = list.state().stops().stops();
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_EQ(stops.at("s1").items().at("pen").quantity(), 5);
  EXPECT_EQ(stops.at("s1").store_name(), "Store s1");
  EXPECT_EQ(stops.at("s2").items().at("pen").quantity(), 1);
  EXPECT_EQ(list.StatusName(), "pending");
  EXPECT_TRUE(ShoppingList::Create("l", "o", {}).ok());  // no lines: accepted
  EXPECT_EQ(ShoppingList::Create("l", "", {}).status().message(), "the order id cannot be blank");
  EXPECT_EQ(ShoppingList::Create("l", "o", {Pen("s1", 0)}).status().message(),
            "the item quantity must be positive");
}

// [REF-DEFECT] the reference's Initiate left the list pending, so no robot ever got one.
TEST(ShoppingListTest, TheStateMachine) {
  ShoppingList list = *ShoppingList::Create("l", "o", {Pen("s1", 1)});
  EXPECT_EQ(list.Assign("bot-1").message(), "the shopping list cannot be assigned");
  EXPECT_EQ(list.Complete().message(), "the shopping list cannot be completed");
  ASSERT_TRUE(list.Initiate().ok());
  EXPECT_EQ(list.StatusName(), "available");
  ASSERT_TRUE(list.Initiate().ok());  // again: nothing changes
  EXPECT_EQ(list.pending().size(), 2u);
  EXPECT_EQ(list.Assign("").message(), "the bot id cannot be blank");
  ASSERT_TRUE(list.Assign("bot-1").ok());
  EXPECT_EQ(list.state().assigned_bot_id(), "bot-1");
  EXPECT_EQ(list.Initiate().message(), "the shopping list cannot be initiated");
  ASSERT_TRUE(list.Complete().ok());
  EXPECT_EQ(std::get<ShoppingListCompleted>(list.pending().back()).order_id(), "o");
  EXPECT_EQ(list.Cancel().message(), "the shopping list cannot be canceled");
  // The saga's compensation after a robot shopped: nothing left to cancel, and nothing changes.
  const size_t events = list.pending().size();
  ASSERT_TRUE(list.Cancel(/*repeat_ok=*/true).ok());
  EXPECT_EQ(list.StatusName(), "completed");
  EXPECT_EQ(list.pending().size(), events);
}

TEST(ShoppingListTest, CancelOnceOrAgainForTheSaga) {
  ShoppingList list = *ShoppingList::Create("l", "o", {Pen("s1", 1)});
  ASSERT_TRUE(list.Cancel().ok());
  EXPECT_EQ(list.StatusName(), "canceled");
  EXPECT_EQ(list.Cancel().message(), "the shopping list cannot be canceled");
  ASSERT_TRUE(list.Cancel(/*repeat_ok=*/true).ok());
  EXPECT_EQ(list.pending().size(), 2u);
}

}  // namespace
}  // namespace depot::domain
