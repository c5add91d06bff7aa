// The read model's rules: statuses in any case, the total, page sizes, cursors that round-trip
// and refuse anything else.
#include "services/search/domain/orders.h"

#include "gtest/gtest.h"

namespace search::domain {
namespace {

TEST(OrdersTest, StatusesAreMatchedInAnyCase) {
  EXPECT_EQ(CanonicalStatus("ready for pickup"), kReadyForPickup);
  EXPECT_EQ(CanonicalStatus("COMPLETED"), kCompleted);
  EXPECT_EQ(CanonicalStatus("New"), kNew);
  EXPECT_FALSE(CanonicalStatus("shipped").has_value());
  EXPECT_FALSE(CanonicalStatus("").has_value());
}

TEST(OrdersTest, TheTotalIsRoundedToFourDecimals) {
  EXPECT_DOUBLE_EQ(Total({{.price = 2.5, .quantity = 2}, {.price = 0.1, .quantity = 3}}), 5.3);
  EXPECT_DOUBLE_EQ(Total({{.price = 1.00005, .quantity = 1}}), 1.0001);
  EXPECT_DOUBLE_EQ(Total({}), 0);
}

TEST(OrdersTest, PageSizesAreBounded) {
  EXPECT_EQ(*PageSize(0), kDefaultPageSize);
  EXPECT_EQ(*PageSize(1), 1);
  EXPECT_EQ(*PageSize(100), 100);
  EXPECT_EQ(PageSize(101).status().message(), "limit must be between 0 and 100");
  EXPECT_EQ(PageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OrdersTest, ACursorRoundTripsAndNothingElsePassesForOne) {
  Cursor c;
  c.set_created_at_micros(1764800000123456);
  c.set_order_id("0f8fad5b-d9cb-469f-a165-70867728950e");
  auto back = DecodeCursor(EncodeCursor(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->created_at_micros(), c.created_at_micros());
  EXPECT_EQ(back->order_id(), c.order_id());
  for (const char* bad : {"", "c1.", "c1.!!!", "c2.abc", "hello", "c1.AAAA"}) {
    EXPECT_EQ(DecodeCursor(bad).status().message(), "next is not a cursor of SearchOrders") << bad;
  }
}

}  // namespace
}  // namespace search::domain
