// The cosec binary against real PostgreSQL and nats-server, the test playing every participant:
// it reads cosec's commands from the command streams and answers them as the services' command
// adapter does. The saga's protocol: steps and commands, one saga per order, replies applied only
// when awaited (twice, late, after the end), a step deadline, compensations retried, and the
// story told by the admin API.
#include <grpcpp/grpcpp.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/empty.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/streams.h"
#include "libs/outbox/commands.h"
#include "libs/saga/saga.h"
#include "libs/service/service_fixture.h"
#include "proto/admin/admin_service.grpc.pb.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/payments/payments_api.pb.h"

namespace cosec {
namespace {

namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;
using ::testing::Contains;
using ::testing::ElementsAre;

constexpr char kReplies[] = "mallbots.cosec.replies.CreateOrder";

struct Channel {
  const char* stream;
  const char* subject;
};
const Channel kCustomers{"CUSTOMERS_COMMANDS", "mallbots.customers.commands"};
const Channel kDepot{"DEPOT_COMMANDS", "mallbots.depot.commands"};
const Channel kPayments{"PAYMENTS_COMMANDS", "mallbots.payments.commands"};
const Channel kOrdering{"ORDERING_COMMANDS", "mallbots.ordering.commands"};

class CosecServiceTest : public testing::ServiceFixture<grpc::health::v1::Health> {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    for (const auto& [name, subjects] : std::vector<std::pair<std::string, std::string>>{
             {"ORDERING", "mallbots.ordering.events.>"},
             {kCustomers.stream, kCustomers.subject},
             {kDepot.stream, kDepot.subject},
             {kPayments.stream, kPayments.subject},
             {kOrdering.stream, kOrdering.subject}}) {
      ASSERT_TRUE(
          messaging::EnsureStream((*nats)->js(), {.name = name, .subjects = {subjects}}).ok());
    }
    // A short deadline and quick retries, so that the tests see them happen.
    StartService("COSEC_BIN", "cosec",
                 {"--saga-step-deadline=3s", "--saga-retry-initial=200ms", "--saga-retry-max=1s"});
  }

  // Publishes an OrderCreated for a new order and returns the order id.
  std::string CreateOrder(const std::string& message_id = "") {
    orderingpb::OrderCreated created;
    created.set_id(eda::NewUuid());
    created.set_customer_id(eda::NewUuid());
    created.set_payment_id(eda::NewUuid());
    auto* item = created.add_items();
    item->set_product_id(eda::NewUuid());
    item->set_store_id(eda::NewUuid());
    item->set_price(2.5);
    item->set_quantity(2);
    Publish("mallbots.ordering.events.Order", "ordersapi.OrderCreated", created, {}, message_id);
    last_created_ = created;
    return created.id();
  }

  // The commands named `name` cosec sent on `channel` for saga `id`, oldest first, once there are
  // `count` of them (within 10 s).
  static std::vector<messaging::Message> Commands(const Channel& channel, const std::string& id,
                                                  const std::string& name, size_t count = 1) {
    std::vector<messaging::Message> found;
    testing::WaitUntil(
        [&] {
          found.clear();
          for (const messaging::Message& m : Messages(channel.stream, channel.subject)) {
            auto saga = m.metadata.find(messaging::kCommandSagaId);
            if (m.name == name && saga != m.metadata.end() && saga->second == id) {
              found.push_back(m);
            }
          }
          return found.size() >= count;
        },
        absl::Seconds(10));
    return found;
  }
  // The last such command; fails the test when there is none.
  static messaging::Message Command(const Channel& channel, const std::string& id,
                                    const std::string& name, size_t count = 1) {
    std::vector<messaging::Message> found = Commands(channel, id, name, count);
    EXPECT_GE(found.size(), count) << "no " << name << " for saga " << id;
    return found.empty() ? messaging::Message{} : found.back();
  }

  // Answers `command` as a service's command adapter does.
  static void Answer(const messaging::Message& command, bool success, const std::string& name = "",
                     const google::protobuf::Message* payload = nullptr) {
    std::optional<eda::outbox::Reply> reply;
    if (!name.empty()) {
      reply = eda::outbox::Reply{name, payload != nullptr ? payload->SerializeAsString() : ""};
    }
    const messaging::Message m = eda::outbox::ReplyTo(
        command, success ? absl::OkStatus() : absl::FailedPreconditionError("refused by the test"),
        reply);
    ASSERT_TRUE(testing::PublishRaw(*nats_, m.subject, messaging::EncodeEnvelope(m),
                                    {{"Nats-Msg-Id", m.id}})
                    .ok());
  }

  adminpb::GetSagaResponse Saga(const std::string& id) {
    auto admin = service_->AdminStub();
    adminpb::GetSagaRequest req;
    req.set_id(id);
    adminpb::GetSagaResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::Status s = admin->GetSaga(&ctx, req, &resp);
    EXPECT_TRUE(s.ok() || s.error_code() == grpc::NOT_FOUND) << s.error_message();
    return resp;
  }
  bool WaitForStatus(const std::string& id, const std::string& status) {
    return testing::WaitUntil([&] { return Saga(id).saga().status() == status; },
                              absl::Seconds(10));
  }
  std::vector<std::string> Events(const std::string& id) {
    std::vector<std::string> events;
    const adminpb::GetSagaResponse saga = Saga(id);
    for (const adminpb::SagaEvent& e : saga.history()) {
      events.push_back(e.message().empty() ? e.event() : e.event() + " " + e.message());
    }
    return events;
  }

  // Takes the saga through Authorize and CreateShoppingList; returns the shopping list id.
  std::string ThroughShoppingList(const std::string& id) {
    Answer(Command(kCustomers, id, "customersapi.AuthorizeCustomer"), true);
    depotpb::CreatedShoppingList created;
    created.set_id(eda::NewUuid());
    Answer(Command(kDepot, id, "depotapi.CreateShoppingListCommand"), true,
           "depotapi.CreatedShoppingListReply", &created);
    return created.id();
  }

  orderingpb::OrderCreated last_created_;
};

TEST_F(CosecServiceTest, RunsTheWholeSagaAndTellsItsStory) {
  const std::string id = CreateOrder();
  const messaging::Message authorize = Command(kCustomers, id, "customersapi.AuthorizeCustomer");
  EXPECT_EQ(authorize.metadata.at(messaging::kCommandSagaName), "cosec.CreateOrder");
  EXPECT_EQ(authorize.metadata.at(messaging::kCommandReplyChannel), kReplies);
  EXPECT_EQ(authorize.metadata.at(eda::saga::kCommandSagaStep), "1");
  const std::string list = ThroughShoppingList(id);

  const messaging::Message confirm = Command(kPayments, id, "paymentsapi.ConfirmPayment");
  paymentspb::ConfirmPayment payment;
  ASSERT_TRUE(payment.ParseFromString(confirm.payload));
  EXPECT_EQ(payment.id(), last_created_.payment_id());
  EXPECT_DOUBLE_EQ(payment.amount(), 5);
  Answer(confirm, true);
  const messaging::Message initiate = Command(kDepot, id, "depotapi.InitiateShoppingCommand");
  depotpb::InitiateShopping shopping;
  ASSERT_TRUE(shopping.ParseFromString(initiate.payload));
  EXPECT_EQ(shopping.id(), list);  // kept from CreatedShoppingListReply
  Answer(initiate, true);
  const messaging::Message approve = Command(kOrdering, id, "ordersapi.ApproveOrder");
  EXPECT_EQ(approve.metadata.at(eda::saga::kCommandSagaStep), "5");
  Answer(approve, true);

  ASSERT_TRUE(WaitForStatus(id, "completed"));
  EXPECT_EQ(Saga(id).saga().step_name(), "ApproveOrder");
  EXPECT_THAT(Events(id),
              ElementsAre("started", "command customersapi.AuthorizeCustomer", "reply am.Success",
                          "command depotapi.CreateShoppingListCommand",
                          "reply depotapi.CreatedShoppingListReply",
                          "command paymentsapi.ConfirmPayment", "reply am.Success",
                          "command depotapi.InitiateShoppingCommand", "reply am.Success",
                          "command ordersapi.ApproveOrder", "reply am.Success", "completed"));
  EXPECT_GE(service_->Metric("sagas_completed_total{saga=\"cosec.CreateOrder\"}"), 1);
}

TEST_F(CosecServiceTest, ARepublishedOrderCreatedStartsNoSecondSaga) {
  const std::string id = CreateOrder();
  Command(kCustomers, id, "customersapi.AuthorizeCustomer");
  // The same event published again under a new message id.
  Publish("mallbots.ordering.events.Order", "ordersapi.OrderCreated", last_created_);
  ASSERT_TRUE(testing::WaitUntil([&] { return Events(id).size() >= 3; }, absl::Seconds(10)));
  EXPECT_EQ(Events(id)[2], "ignored");
  EXPECT_EQ(Commands(kCustomers, id, "customersapi.AuthorizeCustomer").size(), 1u);
}

TEST_F(CosecServiceTest, AReplyThatComesTwiceIsAppliedOnce) {
  const std::string id = CreateOrder();
  const messaging::Message authorize = Command(kCustomers, id, "customersapi.AuthorizeCustomer");
  Answer(authorize, true);
  Command(kDepot, id, "depotapi.CreateShoppingListCommand");
  Answer(authorize, true);  // again, under a new message id
  ASSERT_TRUE(testing::WaitUntil([&] { return Events(id).size() >= 5; }, absl::Seconds(10)));
  EXPECT_EQ(Events(id)[4], "ignored am.Success");
  EXPECT_EQ(Commands(kDepot, id, "depotapi.CreateShoppingListCommand").size(), 1u);
  EXPECT_EQ(Saga(id).saga().step_name(), "CreateShoppingList");
}

TEST_F(CosecServiceTest, AStepPastItsDeadlineIsCompensatedAndItsLateReplyIgnored) {
  const std::string id = CreateOrder();
  Answer(Command(kCustomers, id, "customersapi.AuthorizeCustomer"), true);
  const messaging::Message create = Command(kDepot, id, "depotapi.CreateShoppingListCommand");
  // No reply within the 3 s deadline: the list is canceled by order (it may exist), then the
  // order rejected.
  const messaging::Message cancel = Command(kDepot, id, "depotapi.CancelShoppingListCommand");
  depotpb::CancelShoppingList by_order;
  ASSERT_TRUE(by_order.ParseFromString(cancel.payload));
  EXPECT_EQ(by_order.order_id(), id);
  depotpb::CreatedShoppingList late;
  late.set_id(eda::NewUuid());
  Answer(create, true, "depotapi.CreatedShoppingListReply", &late);
  Answer(cancel, true);
  Answer(Command(kOrdering, id, "ordersapi.RejectOrder"), true);
  ASSERT_TRUE(WaitForStatus(id, "compensated"));
  const std::vector<std::string> events = Events(id);
  EXPECT_THAT(events, Contains("timeout depotapi.CreateShoppingListCommand"));
  EXPECT_THAT(events, Contains("ignored depotapi.CreatedShoppingListReply"));
  EXPECT_TRUE(Commands(kPayments, id, "paymentsapi.ConfirmPayment", 0).empty());
}

TEST_F(CosecServiceTest, AFailedPaymentUndoesTheListAndRejectsTheOrder) {
  const std::string id = CreateOrder();
  ThroughShoppingList(id);
  Answer(Command(kPayments, id, "paymentsapi.ConfirmPayment"), false);
  // The failed step's own compensation (ReleasePayment) does not run: nothing was confirmed.
  Answer(Command(kDepot, id, "depotapi.CancelShoppingListCommand"), true);
  Answer(Command(kOrdering, id, "ordersapi.RejectOrder"), true);
  ASSERT_TRUE(WaitForStatus(id, "compensated"));
  EXPECT_TRUE(Commands(kPayments, id, "paymentsapi.ReleasePayment", 0).empty());
}

TEST_F(CosecServiceTest, AFailedApprovalReleasesTheConfirmedPayment) {
  const std::string id = CreateOrder();
  ThroughShoppingList(id);
  Answer(Command(kPayments, id, "paymentsapi.ConfirmPayment"), true);
  Answer(Command(kDepot, id, "depotapi.InitiateShoppingCommand"), true);
  Answer(Command(kOrdering, id, "ordersapi.ApproveOrder"), false);
  const messaging::Message release = Command(kPayments, id, "paymentsapi.ReleasePayment");
  paymentspb::ReleasePayment payment;
  ASSERT_TRUE(payment.ParseFromString(release.payload));
  EXPECT_EQ(payment.id(), last_created_.payment_id());
  Answer(release, true);
  Answer(Command(kDepot, id, "depotapi.CancelShoppingListCommand"), true);
  Answer(Command(kOrdering, id, "ordersapi.RejectOrder"), true);
  ASSERT_TRUE(WaitForStatus(id, "compensated"));
}

TEST_F(CosecServiceTest, AFailingCompensationIsRetriedUntilItSucceeds) {
  const std::string id = CreateOrder();
  Answer(Command(kCustomers, id, "customersapi.AuthorizeCustomer"), false);
  Answer(Command(kOrdering, id, "ordersapi.RejectOrder"), false);
  Answer(Command(kOrdering, id, "ordersapi.RejectOrder", 2), false);
  const messaging::Message third = Command(kOrdering, id, "ordersapi.RejectOrder", 3);
  EXPECT_GE(Saga(id).saga().attempts(), 3);
  Answer(third, true);
  ASSERT_TRUE(WaitForStatus(id, "compensated"));
  EXPECT_GE(service_->Metric("saga_compensation_retries_total{saga=\"cosec.CreateOrder\"}"), 2);
}

TEST_F(CosecServiceTest, TheAdminApiListsSagasAndRefusesUnknownOnes) {
  const std::string id = CreateOrder();
  Command(kCustomers, id, "customersapi.AuthorizeCustomer");
  auto admin = service_->AdminStub();
  adminpb::ListSagasRequest req;
  req.set_status("running");
  adminpb::ListSagasResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(admin->ListSagas(&ctx, req, &resp).ok());
  std::set<std::string> ids;
  for (const adminpb::SagaSummary& s : resp.sagas()) ids.insert(s.id());
  EXPECT_TRUE(ids.count(id));
  EXPECT_GE(resp.in_flight(), 1);

  req.set_status("lost");
  grpc::ClientContext ctx2;
  grpc::Status bad = admin->ListSagas(&ctx2, req, &resp);
  EXPECT_EQ(bad.error_code(), grpc::INVALID_ARGUMENT);
  adminpb::GetSagaRequest get;
  get.set_id(eda::NewUuid());
  adminpb::GetSagaResponse saga;
  grpc::ClientContext ctx3;
  grpc::Status missing = admin->GetSaga(&ctx3, get, &saga);
  EXPECT_EQ(missing.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "saga " + get.id() + " not found");
}

}  // namespace
}  // namespace cosec
