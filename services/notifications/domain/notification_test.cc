// The words of each notice, and who gets none.
#include "services/notifications/domain/notification.h"

#include "gtest/gtest.h"

namespace notifications::domain {
namespace {

const Recipient kAda{.customer_id = "c1", .name = "Ada", .sms_number = "555-0100"};
constexpr char kOrder[] = "0f8fad5b-d9cb-469f-a165-70867728950e";

TEST(NotificationTest, EachNoticeHasItsText) {
  EXPECT_EQ(Compose(ORDER_CREATED, kOrder, kAda)->text(),
            "Hello Ada, your order 0f8fad5b has been received.");
  EXPECT_EQ(Compose(ORDER_READY, kOrder, kAda)->text(),
            "Hello Ada, your order 0f8fad5b is ready for pickup.");
  EXPECT_EQ(Compose(ORDER_CANCELED, kOrder, kAda)->text(),
            "Hello Ada, your order 0f8fad5b has been canceled.");
  EXPECT_EQ(Compose(ORDER_COMPLETED, kOrder, kAda)->text(),
            "Hello Ada, your order 0f8fad5b is complete. Thank you!");
}

TEST(NotificationTest, TheSmsGoesToTheCustomersNumber) {
  std::optional<Sms> sms = Compose(ORDER_READY, kOrder, kAda);
  ASSERT_TRUE(sms.has_value());
  EXPECT_EQ(sms->to(), "555-0100");
  EXPECT_EQ(sms->customer_id(), "c1");
  EXPECT_EQ(sms->order_id(), kOrder);
  EXPECT_EQ(sms->notice(), ORDER_READY);
}

TEST(NotificationTest, ACustomerWithoutANumberGetsNothing) {
  EXPECT_FALSE(Compose(ORDER_CREATED, kOrder, {.customer_id = "c2", .name = "Bo"}).has_value());
  EXPECT_FALSE(Compose(ORDER_CREATED, kOrder, {.customer_id = "c2", .sms_number = "  "}));
  EXPECT_FALSE(Compose(NOTICE_UNSPECIFIED, kOrder, kAda).has_value());
}

TEST(NotificationTest, ANamelessCustomerIsGreetedPlainly) {
  EXPECT_EQ(Compose(ORDER_CREATED, kOrder, {.customer_id = "c3", .sms_number = "1"})->text(),
            "Hello, your order 0f8fad5b has been received.");
  EXPECT_EQ(NoticeName(ORDER_CANCELED), "order_canceled");
}

}  // namespace
}  // namespace notifications::domain
