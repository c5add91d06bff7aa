// The wire names the service publishes and answers (messages.h) are exactly those its API proto
// declares, each for the type it declares it on.
#include "services/payments/api/messages.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace payments::api {
namespace {

using ::testing::UnorderedElementsAre;

TEST(PaymentsApiTest, RegistersExactlyTheNamesOfMessagesH) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  EXPECT_THAT(registry.Names(),
              UnorderedElementsAre(kInvoicePaid, kConfirmPayment, kReleasePayment));
}

TEST(PaymentsApiTest, EachNameDecodesAsItsType) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  const std::pair<const char*, const char*> kTypes[] = {
      {kInvoicePaid, "paymentspb.InvoicePaid"},
      {kConfirmPayment, "paymentspb.ConfirmPayment"},
      {kReleasePayment, "paymentspb.ReleasePayment"},
  };
  for (const auto& [name, type] : kTypes) {
    auto decoded = registry.Decode(name, "");
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status();
    EXPECT_EQ((*decoded)->GetTypeName(), type) << name;
  }
}

}  // namespace
}  // namespace payments::api
