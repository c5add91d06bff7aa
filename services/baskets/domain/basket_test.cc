#include "services/baskets/domain/basket.h"

#include "gtest/gtest.h"

namespace baskets::domain {
namespace {

constexpr char kCustomer[] = "7c4f2a8e-0b1d-4c55-9a3e-2f6d8b9c1e01";
constexpr char kPayment[] = "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b";

CatalogItem Pen(double price = 1.5) {
  return {.store_id = "s1",
          .store_name = "Books",
          .product_id = "p1",
          .product_name = "Pen",
          .price = price};
}

Basket Open() { return *Basket::Start("b1", kCustomer); }

TEST(BasketTest, StartNeedsACustomerId) {
  EXPECT_EQ(Basket::Start("b", "").status().message(), "the customer id cannot be blank");
  EXPECT_EQ(Basket::Start("b", "bob").status().message(), "the customer id must be a UUID");
  Basket b = Open();
  EXPECT_TRUE(b.open());
  EXPECT_EQ(b.state().customer_id(), kCustomer);
  ASSERT_EQ(b.pending().size(), 1u);
}

TEST(BasketTest, AddingAProductAgainAddsQuantityAndKeepsTheCapturedNamesAndPrice) {
  Basket b = Open();
  ASSERT_TRUE(b.AddItem(Pen(1.5), 2).ok());
  CatalogItem renamed = Pen(9.0);
  renamed.product_name = "Fancy pen";
  ASSERT_TRUE(b.AddItem(renamed, 3).ok());
  ASSERT_EQ(b.state().items_size(), 1);
  EXPECT_EQ(b.state().items(0).quantity(), 5);
  EXPECT_EQ(b.state().items(0).product_name(), "Pen");
  EXPECT_DOUBLE_EQ(b.state().items(0).price(), 1.5);
  EXPECT_EQ(b.state().items(0).store_name(), "Books");
}

TEST(BasketTest, AQuantityOfZeroIsAcceptedAndChangesNothing) {
  Basket b = Open();
  ASSERT_TRUE(b.AddItem(Pen(), 0).ok());
  EXPECT_EQ(b.state().items_size(), 0);  // no empty line
  EXPECT_EQ(b.pending().size(), 1u);
  ASSERT_TRUE(b.AddItem(Pen(), 1).ok());
  ASSERT_TRUE(b.RemoveItem("p1", 0).ok());
  EXPECT_EQ(b.state().items(0).quantity(), 1);
  EXPECT_EQ(b.pending().size(), 2u);
}

TEST(BasketTest, QuantitiesAreChecked) {
  Basket b = Open();
  EXPECT_EQ(b.AddItem(Pen(), -1).message(), "the item quantity cannot be negative");
  EXPECT_EQ(b.RemoveItem("p1", -1).message(), "the item quantity cannot be negative");
  ASSERT_TRUE(b.AddItem(Pen(), 2147483647).ok());
  EXPECT_EQ(b.AddItem(Pen(), 1).message(), "the item quantity is too large");
}

// [REF-DEFECT] the reference deletes a line when 1 or fewer would remain.
TEST(BasketTest, RemovingDeletesALineOnlyWhenNothingRemains) {
  Basket b = Open();
  ASSERT_TRUE(b.AddItem(Pen(), 5).ok());
  ASSERT_TRUE(b.RemoveItem("p1", 4).ok());
  ASSERT_EQ(b.state().items_size(), 1);
  EXPECT_EQ(b.state().items(0).quantity(), 1);
  ASSERT_TRUE(b.RemoveItem("p1", 1).ok());
  EXPECT_EQ(b.state().items_size(), 0);
  ASSERT_TRUE(b.AddItem(Pen(), 2).ok());
  ASSERT_TRUE(b.RemoveItem("p1", 7).ok());  // more than there is: the line goes
  EXPECT_EQ(b.state().items_size(), 0);
  const size_t events = b.pending().size();
  ASSERT_TRUE(b.RemoveItem("not-there", 1).ok());  // not in the basket: nothing happens
  EXPECT_EQ(b.pending().size(), events);
}

TEST(BasketTest, CheckoutChecksInTheSpecsOrder) {
  Basket b = Open();
  EXPECT_EQ(b.Checkout("").message(), "baskets checkout: the basket has no items");
  ASSERT_TRUE(b.AddItem(Pen(), 1).ok());
  EXPECT_EQ(b.Checkout("").message(), "baskets checkout: the payment id cannot be blank");
  EXPECT_EQ(b.Checkout("card").message(), "baskets checkout: the payment id must be a UUID");
  ASSERT_TRUE(b.Checkout(kPayment).ok());
  EXPECT_EQ(b.state().status(), BasketState::CHECKED_OUT);
  EXPECT_EQ(b.state().payment_id(), kPayment);
  EXPECT_EQ(b.Checkout(kPayment).message(), "baskets checkout: the basket cannot be modified");
  EXPECT_EQ(b.AddItem(Pen(), 1).message(), "the basket cannot be modified");
  EXPECT_EQ(b.RemoveItem("p1", 1).message(), "the basket cannot be modified");
  EXPECT_EQ(b.Cancel().message(), "the basket cannot be cancelled");
}

TEST(BasketTest, CancelClearsTheLinesAndEndsTheBasket) {
  Basket b = Open();
  ASSERT_TRUE(b.AddItem(Pen(), 3).ok());
  ASSERT_TRUE(b.Cancel().ok());
  EXPECT_EQ(b.state().status(), BasketState::CANCELED);
  EXPECT_EQ(b.state().items_size(), 0);
  EXPECT_EQ(b.Cancel().message(), "the basket cannot be cancelled");
  EXPECT_EQ(b.Checkout(kPayment).message(), "baskets checkout: the basket cannot be modified");
}

TEST(BasketTest, ASnapshotRestoresTheState) {
  Basket b = Open();
  ASSERT_TRUE(b.AddItem(Pen(), 3).ok());
  Basket copy("b1");
  copy.Restore(b.TakeSnapshot());
  EXPECT_TRUE(copy.open());
  ASSERT_EQ(copy.state().items_size(), 1);
  EXPECT_EQ(copy.state().items(0).quantity(), 3);
}

}  // namespace
}  // namespace baskets::domain
