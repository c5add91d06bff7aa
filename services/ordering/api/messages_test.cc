// The wire names the service publishes and answers (messages.h) are exactly those its API proto
// declares, each for the type it declares it on.
#include "services/ordering/api/messages.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ordering::api {
namespace {

using ::testing::UnorderedElementsAre;

TEST(OrderingApiTest, RegistersExactlyTheNamesOfMessagesH) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  EXPECT_THAT(registry.Names(),
              UnorderedElementsAre(kOrderCreated, kOrderRejected, kOrderApproved, kOrderReadied,
                                   kOrderCanceled, kOrderCompleted, kRejectOrder, kApproveOrder));
}

TEST(OrderingApiTest, EachNameDecodesAsItsType) {
  eda::messaging::TypeRegistry registry;
  RegisterMessages(registry);
  const std::pair<const char*, const char*> kTypes[] = {
      {kOrderCreated, "orderingpb.OrderCreated"},   {kOrderRejected, "orderingpb.OrderRejected"},
      {kOrderApproved, "orderingpb.OrderApproved"}, {kOrderReadied, "orderingpb.OrderReadied"},
      {kOrderCanceled, "orderingpb.OrderCanceled"}, {kOrderCompleted, "orderingpb.OrderCompleted"},
      {kRejectOrder, "orderingpb.RejectOrder"},     {kApproveOrder, "orderingpb.ApproveOrder"},
  };
  for (const auto& [name, type] : kTypes) {
    auto decoded = registry.Decode(name, "");
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status();
    EXPECT_EQ((*decoded)->GetTypeName(), type) << name;
  }
}

}  // namespace
}  // namespace ordering::api
