#include "services/payments/domain/payment.h"

#include "gtest/gtest.h"

namespace payments::domain {
namespace {

TEST(PaymentTest, AuthorizeValidatesTheCustomerAndTheAmount) {
  EXPECT_EQ(Payment::Authorize("p", "", 1).status().message(), "the customer id cannot be blank");
  EXPECT_EQ(Payment::Authorize("p", "c", -1).status().message(),
            "the payment amount cannot be negative");
  Payment p = *Payment::Authorize("p", "c", 10.00004);
  EXPECT_EQ(p.StatusName(), "authorized");
  EXPECT_DOUBLE_EQ(p.state().amount(), 10.0);
}

TEST(PaymentTest, ConfirmChecksTheAmountAndAReleaseIsFinal) {
  Payment p = *Payment::Authorize("p", "c", 10);
  EXPECT_EQ(p.Confirm(10.5).message(),
            "payment cannot be confirmed: authorized for 10, the order is 10.5");
  ASSERT_TRUE(p.Confirm(10).ok());
  EXPECT_EQ(p.StatusName(), "confirmed");
  ASSERT_TRUE(p.Confirm(0).ok());  // again: nothing changes
  EXPECT_EQ(p.pending().size(), 2u);
  ASSERT_TRUE(p.Release().ok());
  ASSERT_TRUE(p.Release().ok());
  EXPECT_EQ(p.pending().size(), 3u);
  EXPECT_EQ(p.Confirm(1).message(), "payment cannot be confirmed: it was released");
  Payment unconfirmed = *Payment::Authorize("q", "c", 5);
  ASSERT_TRUE(unconfirmed.Release().ok());  // releasing an unconfirmed payment succeeds
  EXPECT_EQ(unconfirmed.StatusName(), "released");
}

// [REF-DEFECT] a canceled invoice could not be read back in the reference; here it has its
// status, and neither Pay nor Cancel applies to it.
TEST(InvoiceTest, PayOrCancelOnlyAPendingInvoice) {
  EXPECT_EQ(Invoice::Create("i", "", 1).status().message(), "the order id cannot be blank");
  Invoice i = *Invoice::Create("i", "o1", 12.5);
  EXPECT_EQ(i.StatusName(), "pending");
  ASSERT_TRUE(i.Adjust(13).ok());
  EXPECT_DOUBLE_EQ(i.state().amount(), 13);
  ASSERT_TRUE(i.Cancel().ok());
  EXPECT_EQ(i.StatusName(), "canceled");
  EXPECT_EQ(i.Pay().message(), "invoice cannot be paid for");
  EXPECT_EQ(i.Cancel().message(), "invoice cannot be paid for");
  Invoice j = *Invoice::Create("j", "o2", 3);
  ASSERT_TRUE(j.Pay().ok());
  EXPECT_EQ(std::get<InvoicePaid>(j.pending().back()).order_id(), "o2");
  EXPECT_EQ(j.Pay().message(), "invoice cannot be paid for");
}

}  // namespace
}  // namespace payments::domain
