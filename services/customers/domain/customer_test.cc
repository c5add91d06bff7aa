#include "services/customers/domain/customer.h"

#include "gtest/gtest.h"

namespace customers::domain {
namespace {

TEST(CustomerTest, RegistersEnabledAndValidates) {
  auto c = Customer::Register("id-1", "Ada", "555-0100");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->state().enabled());
  ASSERT_EQ(c->pending().size(), 1u);
  EXPECT_EQ(std::get<CustomerRegistered>(c->pending()[0]).name(), "Ada");
  EXPECT_EQ(Customer::Register("id", "", "1").status().message(),
            "the customer name cannot be blank");
  EXPECT_EQ(Customer::Register("id", "Ada", "").status().message(),
            "the SMS number cannot be blank");
  EXPECT_EQ(Customer::Register("id", std::string(201, 'a'), "1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Customer::Register("id", "Ada", std::string(33, '1')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Customer::Register("id", std::string("A\0da", 4), "1").status().message(),
            "the customer name cannot contain NUL bytes");
}

TEST(CustomerTest, EnableDisableStateMachine) {
  Customer c = *Customer::Register("id-1", "Ada", "555");
  EXPECT_EQ(c.Enable().message(), "the customer is already enabled");
  ASSERT_TRUE(c.Disable().ok());
  EXPECT_TRUE(std::holds_alternative<CustomerDisabled>(c.pending().back()));
  EXPECT_EQ(c.Disable().message(), "the customer is already disabled");
  EXPECT_EQ(c.Authorize().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(c.Authorize().message(), "customer is not authorized");
  ASSERT_TRUE(c.Enable().ok());
  EXPECT_TRUE(c.Authorize().ok());
}

TEST(CustomerTest, ChangeSmsNumber) {
  Customer c = *Customer::Register("id-1", "Ada", "555");
  ASSERT_TRUE(c.ChangeSmsNumber("777").ok());
  EXPECT_EQ(std::get<CustomerSmsChanged>(c.pending().back()).sms_number(), "777");
  EXPECT_EQ(c.state().sms_number(), "777");
  EXPECT_EQ(c.ChangeSmsNumber("").message(), "the SMS number cannot be blank");
  EXPECT_EQ(c.state().sms_number(), "777");
}

TEST(CustomerTest, RestoreRaisesNothing) {
  CustomerState state;
  state.set_name("Ada");
  state.set_enabled(false);
  Customer c = Customer::Restore("id-1", state);
  EXPECT_TRUE(c.pending().empty());
  EXPECT_EQ(c.Authorize().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace customers::domain
