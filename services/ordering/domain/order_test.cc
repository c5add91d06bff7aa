#include "services/ordering/domain/order.h"

#include "gtest/gtest.h"

namespace ordering::domain {
namespace {

constexpr char kCustomer[] = "7c4f2a8e-0b1d-4c55-9a3e-2f6d8b9c1e01";
constexpr char kPayment[] = "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b";

Item Line(double price, int quantity) {
  Item item;
  item.set_store_id("s1");
  item.set_product_id("p1");
  item.set_store_name("Books");
  item.set_product_name("Pen");
  item.set_price(price);
  item.set_quantity(quantity);
  return item;
}

Order Pending() { return *Order::Create("o1", kCustomer, kPayment, {Line(1.25, 2), Line(3, 1)}); }

TEST(OrderTest, CreateChecksInTheSpecsOrder) {
  EXPECT_EQ(Order::Create("o", "", "", {}).status().message(),
            "create order command: the order has no items");
  EXPECT_EQ(Order::Create("o", "", "", {Line(1, 1)}).status().message(),
            "create order command: the customer id cannot be blank");
  EXPECT_EQ(Order::Create("o", kCustomer, "", {Line(1, 1)}).status().message(),
            "create order command: the payment id cannot be blank");
  EXPECT_EQ(Order::Create("o", kCustomer, kPayment, {Line(1, 0)}).status().message(),
            "create order command: the item quantity must be positive");
  EXPECT_EQ(Order::Create("o", kCustomer, kPayment, {Line(-1, 1)}).status().message(),
            "create order command: the item price cannot be negative");
  Order o = Pending();
  EXPECT_EQ(o.StatusName(), "pending");
  EXPECT_DOUBLE_EQ(o.Total(), 5.5);
}

// [REF-DEFECT] the reference checks no state for Reject, Approve, Ready and Complete.
TEST(OrderTest, EveryTransitionIsGuarded) {
  Order o = Pending();
  EXPECT_EQ(o.Ready().message(), "the order cannot be readied");
  EXPECT_EQ(o.Complete("i1").message(), "the order cannot be completed");
  ASSERT_TRUE(o.Approve("sl1").ok());
  EXPECT_EQ(o.StatusName(), "approved");
  EXPECT_EQ(o.Approve("sl1").message(), "the order cannot be approved");
  EXPECT_EQ(o.Cancel().message(), "the order cannot be cancelled");
  EXPECT_EQ(o.Complete("i1").message(), "the order cannot be completed");
  ASSERT_TRUE(o.Ready().ok());
  EXPECT_EQ(o.Reject().message(), "the order cannot be rejected");
  EXPECT_DOUBLE_EQ(std::get<OrderReadied>(o.pending().back()).total(), 5.5);
  const size_t events = o.pending().size();
  ASSERT_TRUE(o.Ready().ok());  // a repeat changes nothing
  EXPECT_EQ(o.pending().size(), events);
  ASSERT_TRUE(o.Complete("i1").ok());
  EXPECT_EQ(o.StatusName(), "completed");
  EXPECT_EQ(o.state().invoice_id(), "i1");
  ASSERT_TRUE(o.Complete("i1").ok());
  EXPECT_EQ(o.Complete("i2").message(), "the order cannot be completed");
  EXPECT_EQ(o.pending().size(), events + 1);
}

// The saga compensates a step whose reply came after its deadline, ApproveOrder included: an
// approved order that is not ready yet can still be rejected.
TEST(OrderTest, AnApprovedOrderCanBeRejectedUntilItIsReady) {
  Order o = Pending();
  ASSERT_TRUE(o.Approve("sl1").ok());
  ASSERT_TRUE(o.Reject().ok());
  EXPECT_EQ(o.StatusName(), "rejected");
  EXPECT_EQ(o.Ready().message(), "the order cannot be readied");
}

TEST(OrderTest, RejectIsIdempotentAndApproveFailsOnACancelledOrder) {
  Order o = Pending();
  ASSERT_TRUE(o.Cancel().ok());
  EXPECT_EQ(o.StatusName(), "cancelled");
  EXPECT_EQ(o.Approve("sl1").message(), "the order cannot be approved");
  ASSERT_TRUE(o.Reject().ok());  // nothing to do: already cancelled
  EXPECT_EQ(o.StatusName(), "cancelled");
  Order r = Pending();
  ASSERT_TRUE(r.Reject().ok());
  ASSERT_TRUE(r.Reject().ok());
  EXPECT_EQ(r.StatusName(), "rejected");
  EXPECT_EQ(r.pending().size(), 2u);
  EXPECT_EQ(r.Cancel().message(), "the order cannot be cancelled");
}

}  // namespace
}  // namespace ordering::domain
