#include "services/customers/domain/customer.h"

#include "gtest/gtest.h"

namespace customers::domain {
namespace {

TEST(CustomerTest, RegistersEnabledAndValidates) {
  auto c = Customer::Register("id-1", "Ada", "555-0100");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->enabled());
  EXPECT_EQ(Customer::Register("id", "", "1").status().message(),
            "the customer name cannot be blank");
  EXPECT_EQ(Customer::Register("id", "Ada", "").status().message(),
            "the SMS number cannot be blank");
  EXPECT_EQ(Customer::Register("id", std::string(201, 'a'), "1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Customer::Register("id", "Ada", std::string(33, '1')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CustomerTest, EnableDisableStateMachine) {
  Customer c = *Customer::Register("id-1", "Ada", "555");
  EXPECT_EQ(c.Enable().status().message(), "the customer is already enabled");
  auto disabled = c.Disable();
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(std::get<CustomerDisabled>(*disabled).id, "id-1");
  EXPECT_EQ(c.Disable().status().message(), "the customer is already disabled");
  EXPECT_EQ(c.Authorize().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(c.Authorize().message(), "customer is not authorized");
  ASSERT_TRUE(c.Enable().ok());
  EXPECT_TRUE(c.Authorize().ok());
}

TEST(CustomerTest, ChangeSmsNumber) {
  Customer c = *Customer::Register("id-1", "Ada", "555");
  auto changed = c.ChangeSmsNumber("777");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(std::get<CustomerSmsChanged>(*changed).sms_number, "777");
  EXPECT_EQ(c.sms_number(), "777");
  EXPECT_EQ(c.ChangeSmsNumber("").status().message(), "the SMS number cannot be blank");
  EXPECT_EQ(c.sms_number(), "777");
}

}  // namespace
}  // namespace customers::domain
