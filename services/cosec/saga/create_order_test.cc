// The CreateOrder saga's definition: which command each step sends, built from the saga's data.
#include "services/cosec/saga/create_order.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/payments/payments_api.pb.h"

namespace cosec {
namespace {

domain::CreateOrderData Data() {
  orderingpb::OrderCreated created;
  created.set_id("order-1");
  created.set_customer_id("customer-1");
  created.set_payment_id("payment-1");
  auto* a = created.add_items();
  a->set_product_id("p1");
  a->set_store_id("s1");
  a->set_price(1.1);
  a->set_quantity(3);
  auto* b = created.add_items();
  b->set_product_id("p2");
  b->set_store_id("s2");
  b->set_price(2.25);
  b->set_quantity(1);
  domain::CreateOrderData d = DataFrom(created);
  d.set_shopping_id("list-1");
  return d;
}

TEST(CreateOrderSagaTest, TheStepsOfTheSpecWithTheirCommands) {
  const auto saga = CreateOrderSaga();
  EXPECT_EQ(saga.name, "cosec.CreateOrder");
  EXPECT_EQ(saga.reply_channel, "mallbots.cosec.replies.CreateOrder");
  std::vector<std::string> actions, compensations;
  for (const auto& step : saga.steps) {
    actions.push_back(step.action ? step.action(Data()).name : "");
    compensations.push_back(step.compensation ? step.compensation(Data()).name : "");
  }
  EXPECT_THAT(actions, ::testing::ElementsAre(
                           "", "customersapi.AuthorizeCustomer",
                           "depotapi.CreateShoppingListCommand", "paymentsapi.ConfirmPayment",
                           "depotapi.InitiateShoppingCommand", "ordersapi.ApproveOrder"));
  EXPECT_THAT(compensations, ::testing::ElementsAre("ordersapi.RejectOrder", "",
                                                    "depotapi.CancelShoppingListCommand",
                                                    "paymentsapi.ReleasePayment", "", ""));
}

TEST(CreateOrderSagaTest, CommandsCarryTheOrderTheCustomerAndThePayment) {
  const auto saga = CreateOrderSaga();
  const domain::CreateOrderData d = Data();
  EXPECT_DOUBLE_EQ(d.total(), 5.55);

  customerspb::AuthorizeCustomer authorize;
  ASSERT_TRUE(authorize.ParseFromString(saga.steps[1].action(d).payload));
  EXPECT_EQ(authorize.id(), "customer-1");
  EXPECT_EQ(saga.steps[1].action(d).subject, "mallbots.customers.commands");

  depotpb::CreateShoppingList create;
  ASSERT_TRUE(create.ParseFromString(saga.steps[2].action(d).payload));
  EXPECT_EQ(create.order_id(), "order-1");
  ASSERT_EQ(create.items_size(), 2);
  EXPECT_EQ(create.items(0).store_id(), "s1");
  EXPECT_EQ(create.items(0).quantity(), 3);

  // Compensations by order or payment id, never by what a reply carried.
  depotpb::CancelShoppingList cancel;
  ASSERT_TRUE(cancel.ParseFromString(saga.steps[2].compensation(d).payload));
  EXPECT_EQ(cancel.order_id(), "order-1");
  EXPECT_EQ(cancel.id(), "");

  paymentspb::ConfirmPayment confirm;
  ASSERT_TRUE(confirm.ParseFromString(saga.steps[3].action(d).payload));
  EXPECT_EQ(confirm.id(), "payment-1");
  EXPECT_DOUBLE_EQ(confirm.amount(), 5.55);
  paymentspb::ReleasePayment release;
  ASSERT_TRUE(release.ParseFromString(saga.steps[3].compensation(d).payload));
  EXPECT_EQ(release.id(), "payment-1");

  depotpb::InitiateShopping initiate;
  ASSERT_TRUE(initiate.ParseFromString(saga.steps[4].action(d).payload));
  EXPECT_EQ(initiate.id(), "list-1");
  orderingpb::ApproveOrder approve;
  ASSERT_TRUE(approve.ParseFromString(saga.steps[5].action(d).payload));
  EXPECT_EQ(approve.id(), "order-1");
  EXPECT_EQ(approve.shopping_id(), "list-1");
  EXPECT_EQ(saga.steps[5].action(d).subject, "mallbots.ordering.commands");
}

TEST(CreateOrderSagaTest, TheShoppingListReplyGivesTheListId) {
  auto saga = CreateOrderSaga();
  domain::CreateOrderData d = Data();
  d.clear_shopping_id();
  depotpb::CreatedShoppingList created;
  created.set_id("list-9");
  eda::messaging::Message reply{.name = "depotapi.CreatedShoppingListReply",
                                .payload = created.SerializeAsString()};
  ASSERT_TRUE(saga.steps[2].on_reply.at(reply.name)(d, reply).ok());
  EXPECT_EQ(d.shopping_id(), "list-9");
  reply.payload = "\xff\xff";
  EXPECT_FALSE(saga.steps[2].on_reply.at(reply.name)(d, reply).ok());
}

}  // namespace
}  // namespace cosec
