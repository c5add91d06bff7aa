// The wire names the service publishes and accepts (messages.h) are exactly those its API proto
// declares, each for the type it declares it on.
#include "services/customers/api/messages.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace customers::api {
namespace {

using ::testing::UnorderedElementsAre;

TEST(CustomersApiTest, RegistersExactlyTheNamesOfMessagesH) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  EXPECT_THAT(registry.Names(),
              UnorderedElementsAre(kCustomerRegistered, kCustomerSmsChanged, kCustomerEnabled,
                                   kCustomerDisabled, kAuthorizeCustomer));
}

TEST(CustomersApiTest, EachNameDecodesAsItsType) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  const std::pair<const char*, const char*> kTypes[] = {
      {kCustomerRegistered, "customerspb.CustomerRegistered"},
      {kCustomerSmsChanged, "customerspb.CustomerSmsChanged"},
      {kCustomerEnabled, "customerspb.CustomerEnabled"},
      {kCustomerDisabled, "customerspb.CustomerDisabled"},
      {kAuthorizeCustomer, "customerspb.AuthorizeCustomer"},
  };
  for (const auto& [name, type] : kTypes) {
    auto decoded = registry.Decode(name, "");
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status();
    EXPECT_EQ((*decoded)->GetTypeName(), type) << name;
  }
}

}  // namespace
}  // namespace customers::api
