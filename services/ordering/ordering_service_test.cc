// The ordering binary, started by the test against real PostgreSQL and nats-server: every RPC
// with its errors, every transition of the state machine, orders from checked-out baskets (once
// per basket), the depot's and payments' events, and the saga's commands with their replies.
#include <grpcpp/grpcpp.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/streams.h"
#include "libs/pg/connection.h"
#include "libs/service/service_fixture.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/baskets/baskets_api.pb.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/ordering/ordering_service.grpc.pb.h"
#include "proto/payments/payments_api.pb.h"

namespace ordering {
namespace {

namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;
using Stub = orderingpb::OrderingService::Stub;

constexpr char kEvents[] = "mallbots.ordering.events.Order";
constexpr char kCustomer[] = "7c4f2a8e-0b1d-4c55-9a3e-2f6d8b9c1e01";
constexpr char kPayment[] = "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b";

class OrderingServiceTest : public testing::ServiceFixture<orderingpb::OrderingService> {
 protected:
  static void SetUpTestSuite() {
    // The streams of the contexts it consumes and replies to (their services do not run here).
    auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    for (const auto& [name, subjects] : std::vector<std::pair<std::string, std::string>>{
             {"BASKETS", "mallbots.baskets.events.>"},
             {"DEPOT", "mallbots.depot.events.>"},
             {"PAYMENTS", "mallbots.payments.events.>"},
             {"COSEC_REPLIES", "mallbots.cosec.replies.>"}}) {
      ASSERT_TRUE(
          messaging::EnsureStream((*nats)->js(), {.name = name, .subjects = {subjects}}).ok());
    }
    StartService("ORDERING_BIN", "ordering");
  }

  static orderingpb::Item Line(double price, int quantity) {
    orderingpb::Item item;
    item.set_store_id(eda::NewUuid());
    item.set_product_id(eda::NewUuid());
    item.set_store_name("Books");
    item.set_product_name("Pen");
    item.set_price(price);
    item.set_quantity(quantity);
    return item;
  }

  std::string Create() {
    orderingpb::CreateOrderRequest req;
    *req.add_items() = Line(1.25, 2);
    *req.add_items() = Line(3, 1);
    req.set_customer_id(kCustomer);
    req.set_payment_id(kPayment);
    orderingpb::CreateOrderResponse resp;
    grpc::Status s = Call(&Stub::CreateOrder, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.id();
  }
  orderingpb::Order Get(const std::string& id, grpc::Status* status = nullptr) {
    orderingpb::GetOrderRequest req;
    req.set_id(id);
    orderingpb::GetOrderResponse resp;
    grpc::Status s = Call(&Stub::GetOrder, req, &resp);
    if (status != nullptr) *status = s;
    return resp.order();
  }
  bool WaitForStatus(const std::string& id, const std::string& status) {
    return testing::WaitUntil([&] { return Get(id).status() == status; }, absl::Seconds(10));
  }
  template <typename Req, typename Resp>
  grpc::Status Simple(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                      const std::string& id) {
    Req req;
    req.set_id(id);
    Resp resp;
    return Call(method, req, &resp);
  }

  static std::string Approve(const std::string& id) {
    orderingpb::ApproveOrder cmd;
    cmd.set_id(id);
    cmd.set_shopping_id(eda::NewUuid());
    return SendCommand("mallbots.ordering.commands", "ordersapi.ApproveOrder", cmd);
  }
  static std::string Reject(const std::string& id) {
    orderingpb::RejectOrder cmd;
    cmd.set_id(id);
    return SendCommand("mallbots.ordering.commands", "ordersapi.RejectOrder", cmd);
  }
};

TEST_F(OrderingServiceTest, CreateOrderChecksItsInputAndPublishesOrderCreated) {
  orderingpb::CreateOrderRequest req;
  orderingpb::CreateOrderResponse resp;
  grpc::Status s = Call(&Stub::CreateOrder, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "create order command: the order has no items");
  *req.add_items() = Line(2, 1);
  s = Call(&Stub::CreateOrder, req, &resp);
  EXPECT_EQ(s.error_message(), "create order command: the customer id cannot be blank");
  req.set_customer_id(kCustomer);
  s = Call(&Stub::CreateOrder, req, &resp);
  EXPECT_EQ(s.error_message(), "create order command: the payment id cannot be blank");

  const std::string id = Create();
  orderingpb::Order order = Get(id);
  EXPECT_EQ(order.status(), "pending");
  EXPECT_EQ(order.customer_id(), kCustomer);
  ASSERT_EQ(order.items_size(), 2);
  EXPECT_EQ(order.items(0).store_name(), "Books");
  auto events = Events<orderingpb::OrderCreated>("ORDERING", kEvents, "ordersapi.OrderCreated", id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].second.payment_id(), kPayment);
  EXPECT_EQ(events[0].second.shopping_id(), "");
  ASSERT_EQ(events[0].second.items_size(), 2);
  EXPECT_DOUBLE_EQ(events[0].second.items(0).price(), 1.25);
  EXPECT_EQ(events[0].second.items(0).quantity(), 2);
}

TEST_F(OrderingServiceTest, ItProvisionsTheSubscriberDurablesOnItsStream) {
  // The topology's `subscriber example-node example-node-orders ORDERING ...` line: the owner of
  // ORDERING makes the durable (a subscriber account may not), reading from the start.
  jsConsumerInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(
      js_GetConsumerInfo(&info, nats_->js(), "ORDERING", "example-node-orders", nullptr, &jerr),
      NATS_OK)
      << jerr;
  EXPECT_STREQ(info->Config->FilterSubject, "mallbots.ordering.events.Order");
  EXPECT_EQ(info->Config->AckPolicy, js_AckExplicit);
  EXPECT_EQ(info->Config->DeliverPolicy, js_DeliverAll);
  EXPECT_EQ(info->Config->DeliverSubject, nullptr);  // a pull consumer
  jsConsumerInfo_Destroy(info);
}

// [REF-DEFECT] the reference answers an unknown id with an empty order.
TEST_F(OrderingServiceTest, UnknownOrdersAreNotFound) {
  const std::string unknown = eda::NewUuid();
  grpc::Status s;
  Get(unknown, &s);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "order " + unknown + " not found");
  s = Simple<orderingpb::CancelOrderRequest, orderingpb::CancelOrderResponse>(&Stub::CancelOrder,
                                                                              unknown);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  Get("o-1", &s);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the order id must be a UUID");
}

TEST_F(OrderingServiceTest, CancelOnlyAPendingOrder) {
  const std::string id = Create();
  auto cancel = [&] {
    return Simple<orderingpb::CancelOrderRequest, orderingpb::CancelOrderResponse>(
        &Stub::CancelOrder, id);
  };
  ASSERT_TRUE(cancel().ok());
  EXPECT_EQ(Get(id).status(), "cancelled");
  auto events =
      Events<orderingpb::OrderCanceled>("ORDERING", kEvents, "ordersapi.OrderCanceled", id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].second.customer_id(), kCustomer);
  grpc::Status s = cancel();
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the order cannot be cancelled");
  // The saga's commands on a cancelled order: approving fails, rejecting is already done.
  EXPECT_EQ(Approve(id), "am.Failure");
  EXPECT_EQ(Reject(id), "am.Success");
  EXPECT_EQ(Get(id).status(), "cancelled");
}

// [REF-DEFECT] the reference neither guards Reject/Approve/Ready/Complete nor publishes
// OrderRejected and OrderApproved, nor completes orders from InvoicePaid.
TEST_F(OrderingServiceTest, TheWholeLifeOfAnOrderThroughItsCommandsAndEvents) {
  const std::string id = Create();
  grpc::Status s =
      Simple<orderingpb::ReadyOrderRequest, orderingpb::ReadyOrderResponse>(&Stub::ReadyOrder, id);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the order cannot be readied");
  ASSERT_EQ(Approve(id), "am.Success");
  EXPECT_EQ(Get(id).status(), "approved");
  EXPECT_EQ(
      Events<orderingpb::OrderApproved>("ORDERING", kEvents, "ordersapi.OrderApproved", id).size(),
      1u);
  EXPECT_EQ(Approve(id), "am.Failure");

  depotpb::ShoppingListCompleted completed;
  completed.set_id(eda::NewUuid());
  completed.set_order_id(id);
  Publish("mallbots.depot.events.ShoppingList", "depotapi.ShoppingListCompleted", completed);
  ASSERT_TRUE(WaitForStatus(id, "ready"));
  auto readied =
      Events<orderingpb::OrderReadied>("ORDERING", kEvents, "ordersapi.OrderReadied", id);
  ASSERT_EQ(readied.size(), 1u);
  EXPECT_DOUBLE_EQ(readied[0].second.total(), 5.5);

  paymentspb::InvoicePaid paid;
  paid.set_id(eda::NewUuid());
  paid.set_order_id(id);
  Publish("mallbots.payments.events.Invoice", "paymentsapi.InvoicePaid", paid);
  ASSERT_TRUE(WaitForStatus(id, "completed"));
  auto done =
      Events<orderingpb::OrderCompleted>("ORDERING", kEvents, "ordersapi.OrderCompleted", id);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].second.invoice_id(), paid.id());
  EXPECT_EQ(done[0].second.customer_id(), kCustomer);
}

// The saga makes the list available before it approves the order: a robot can finish first.
TEST_F(OrderingServiceTest, AListCompletedBeforeTheApprovalReadiesTheOrderOnceApproved) {
  const std::string id = Create();
  depotpb::ShoppingListCompleted completed;
  completed.set_id(eda::NewUuid());
  completed.set_order_id(id);
  const double waits_before = service_->Metric(
      "messaging_consumer_waits_total{consumer=\"ordering-depot\","
      "name=\"depotapi.ShoppingListCompleted\"}");
  Publish("mallbots.depot.events.ShoppingList", "depotapi.ShoppingListCompleted", completed);
  // The event came and was put back to wait for the approval.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return service_->Metric(
                   "messaging_consumer_waits_total{consumer=\"ordering-depot\","
                   "name=\"depotapi.ShoppingListCompleted\"}") > waits_before;
      },
      absl::Seconds(10)));
  EXPECT_EQ(Get(id).status(), "pending");
  ASSERT_EQ(Approve(id), "am.Success");
  EXPECT_TRUE(WaitForStatus(id, "ready"));
}

// The saga rejected the order while a robot shopped its list: the order stays rejected.
TEST_F(OrderingServiceTest, AListCompletedForARejectedOrderLeavesItRejected) {
  const std::string id = Create();
  ASSERT_EQ(Approve(id), "am.Success");
  ASSERT_EQ(Reject(id), "am.Success");  // the compensation of an approval that came too late
  EXPECT_EQ(Get(id).status(), "rejected");
  const std::string handled =
      "messaging_consumer_handled_total{consumer=\"ordering-depot\","
      "name=\"depotapi.ShoppingListCompleted\"}";
  const double before = service_->Metric(handled);
  depotpb::ShoppingListCompleted completed;
  completed.set_id(eda::NewUuid());
  completed.set_order_id(id);
  Publish("mallbots.depot.events.ShoppingList", "depotapi.ShoppingListCompleted", completed);
  ASSERT_TRUE(
      testing::WaitUntil([&] { return service_->Metric(handled) > before; }, absl::Seconds(10)));
  EXPECT_EQ(Get(id).status(), "rejected");
}

TEST_F(OrderingServiceTest, RejectingAPendingOrderPublishesOrderRejected) {
  const std::string id = Create();
  ASSERT_EQ(Reject(id), "am.Success");
  EXPECT_EQ(Get(id).status(), "rejected");
  EXPECT_EQ(
      Events<orderingpb::OrderRejected>("ORDERING", kEvents, "ordersapi.OrderRejected", id).size(),
      1u);
  EXPECT_EQ(Reject(id), "am.Success");  // idempotent
  EXPECT_EQ(Reject(eda::NewUuid()), "am.Failure");
}

// [REF-DEFECT] the reference keeps failing a repeated checkout ("the order cannot be
// recreated") until it is dead-lettered.
TEST_F(OrderingServiceTest, ACheckedOutBasketBecomesOneOrderWithTheBasketsId) {
  basketspb::BasketCheckedOut checkout;
  checkout.set_id(eda::NewUuid());
  checkout.set_customer_id(kCustomer);
  checkout.set_payment_id(kPayment);
  basketspb::BasketCheckedOut::Item& item = *checkout.add_items();
  item.set_store_id(eda::NewUuid());
  item.set_product_id(eda::NewUuid());
  item.set_store_name("Music");
  item.set_product_name("Drum");
  item.set_price(40);
  item.set_quantity(2);
  // An event of the basket it does not act on: acked, with no transaction nor inbox row.
  basketspb::BasketStarted started;
  started.set_id(checkout.id());
  started.set_customer_id(kCustomer);
  const std::string started_id = eda::NewUuid();
  Publish("mallbots.baskets.events.Basket", "basketsapi.BasketStarted", started, {}, started_id);
  Publish("mallbots.baskets.events.Basket", "basketsapi.BasketCheckedOut", checkout);
  // The same checkout again under another message id.
  Publish("mallbots.baskets.events.Basket", "basketsapi.BasketCheckedOut", checkout);
  ASSERT_TRUE(WaitForStatus(checkout.id(), "pending"));
  orderingpb::Order order = Get(checkout.id());
  ASSERT_EQ(order.items_size(), 1);
  EXPECT_EQ(order.items(0).product_name(), "Drum");
  EXPECT_EQ(order.payment_id(), kPayment);
  // Both deliveries handled (the consumer caught up), one order event.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return service_->Metric(
                   "ordering_received_messages_count{handled=\"true\","
                   "message=\"basketsapi.BasketCheckedOut\"}") >= 2;
      },
      absl::Seconds(10)))
      << service_->LogTail();
  EXPECT_EQ(
      Events<orderingpb::OrderCreated>("ORDERING", kEvents, "ordersapi.OrderCreated", checkout.id())
          .size(),
      1u);
  auto conn = eda::pg::Connection::Open(service_->dsn());
  ASSERT_TRUE(conn.ok());
  auto inbox = conn->Exec("SELECT count(*) FROM inbox WHERE id = $1", {started_id});
  ASSERT_TRUE(inbox.ok());
  EXPECT_EQ(*inbox->Int(0, 0), 0);
}

TEST_F(OrderingServiceTest, CompleteOrderByRpcKeepsTheInvoice) {
  const std::string id = Create();
  ASSERT_EQ(Approve(id), "am.Success");
  ASSERT_TRUE(
      (Simple<orderingpb::ReadyOrderRequest, orderingpb::ReadyOrderResponse>(&Stub::ReadyOrder, id))
          .ok());
  orderingpb::CompleteOrderRequest req;
  req.set_id(id);
  orderingpb::CompleteOrderResponse resp;
  grpc::Status s = Call(&Stub::CompleteOrder, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the invoice id cannot be blank");
  req.set_invoice_id("inv-7");
  ASSERT_TRUE(Call(&Stub::CompleteOrder, req, &resp).ok());
  auto done =
      Events<orderingpb::OrderCompleted>("ORDERING", kEvents, "ordersapi.OrderCompleted", id);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].second.invoice_id(), "inv-7");
}

}  // namespace
}  // namespace ordering
