// The whole order flow of spec §7 across every service it touches, each started as a real process
// with its own NATS user and PostgreSQL role as `make up` runs them, the robots included: a basket
// becomes a completed, paid order, its customer gets an SMS at each step and search shows it;
// every compensation path of spec §6.2 ends in the right order,
// list and payment states; a republished OrderCreated starts no second saga; a reply twice and a
// reply after its step's deadline change nothing; cosec killed with -9 in the middle of sagas
// finishes every one of them, no command applied twice.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/saga/saga.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/admin/admin_service.grpc.pb.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/search/search_service.grpc.pb.h"
#include "proto/stores/stores_api.pb.h"
#include "tools/shopper/shopper.h"

namespace mallbots {
namespace {

namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;
using ::testing::Contains;

// The saga's step deadline of the test that makes a reply come late (cosec runs with its
// default otherwise: a killed cosec's unacknowledged replies come back after the 30 s ack wait).
constexpr char kShortStepDeadline[] = "--saga-step-deadline=3s";

// Freezes a process (SIGSTOP) for its scope: it goes on (SIGCONT) whatever the test does.
class Frozen final {
 public:
  explicit Frozen(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
  ~Frozen() { Thaw(); }
  void Thaw() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

class OrderFlowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = nats->release();
    stores_ = Start("STORES_BIN", "stores");
    customers_ = Start("CUSTOMERS_BIN", "customers");
    const std::string peers = "--rpc-services=STORES=" + stores_->grpc_target();
    baskets_ = Start("BASKETS_BIN", "baskets", {peers});
    ordering_ = Start("ORDERING_BIN", "ordering");
    payments_ = Start("PAYMENTS_BIN", "payments");
    depot_ = Start("DEPOT_BIN", "depot", {peers});
    cosec_ = Start("COSEC_BIN", "cosec");
    const std::string customers_peer = "CUSTOMERS=" + customers_->grpc_target();
    notifications_ =
        Start("NOTIFICATIONS_BIN", "notifications", {"--rpc-services=" + customers_peer});
    search_ = Start("SEARCH_BIN", "search", {absl::StrCat(peers, ",", customers_peer)});
    bots_dir_ = new testing::TempDir();
    auto bots =
        testing::Process::Start({std::getenv("BOTS_BIN"), "--depot=" + depot_->grpc_target(),
                                 "--bots=3", "--bot-stop-time=100ms", "--bot-poll=50ms"},
                                {.log_file = bots_dir_->path() + "/bots.log"});
    ASSERT_TRUE(bots.ok()) << bots.status();
    bots_ = bots->release();
    mall_ = new Mall({.stores = stores_->grpc_target(),
                      .customers = customers_->grpc_target(),
                      .baskets = baskets_->grpc_target(),
                      .ordering = ordering_->grpc_target(),
                      .payments = payments_->grpc_target(),
                      .depot = depot_->grpc_target()});
  }

  static void TearDownTestSuite() {
    // Over the whole suite only: one case alone publishes too little to mean anything.
    if (nats_ != nullptr && ::testing::GTEST_FLAG(filter) == "*") {
      CheckThePublishedMessagesAreCatalogued();
    }
    const bool failed = ::testing::UnitTest::GetInstance()->failed_test_count() > 0;
    for (auto [name, service] : Services()) {
      if (failed && service != nullptr) {
        std::fprintf(stderr, "--- %s log (tail) ---\n%s\n", name.c_str(),
                     service->LogTail(20).c_str());
      }
    }
    if (bots_ != nullptr) bots_->Stop(SIGTERM);
    delete bots_;
    delete bots_dir_;
    delete mall_;
    for (auto [name, service] : Services()) delete service;
    delete nats_;
  }

  // Every message the tests' runs left on the streams (each subject and name once) is declared in
  // the AsyncAPI document (tools/apidocs), by tests/catalog/check_published.mjs: a service that
  // publishes a message the catalogue lacks fails here.
  static void CheckThePublishedMessagesAreCatalogued() {
    auto topology = messaging::Topology::Load(testing::SourceDir() + "/deploy/topology.conf");
    ASSERT_TRUE(topology.ok()) << topology.status();
    std::set<std::string> published;
    for (const auto& stream : topology->streams) {
      if (stream.owner == messaging::Topology::kShared) continue;  // dead letters: copies
      for (const messaging::Message& m : Messages(stream.spec.name, ">")) {
        published.insert(absl::StrCat(m.subject, " ", m.name));
      }
    }
    ASSERT_GE(published.size(), 20u) << absl::StrJoin(published, "\n");
    const char* document = std::getenv("ASYNCAPI");
    ASSERT_TRUE(document != nullptr) << "ASYNCAPI names the generated document (ctest sets it)";
    testing::TempDir dir("catalogued");
    std::ofstream(dir.path() + "/published") << absl::StrJoin(published, "\n") << "\n";
    const absl::Status checked = testing::RunCommand(
        {"/usr/bin/env", "node", testing::SourceDir() + "/tests/catalog/check_published.mjs",
         document, dir.path() + "/published"});
    EXPECT_TRUE(checked.ok()) << checked;
  }

  static std::vector<std::pair<std::string, testing::ServiceUnderTest*>> Services() {
    return {{"stores", stores_},     {"customers", customers_},         {"baskets", baskets_},
            {"ordering", ordering_}, {"payments", payments_},           {"depot", depot_},
            {"cosec", cosec_},       {"notifications", notifications_}, {"search", search_}};
  }

  static testing::ServiceUnderTest* Start(const std::string& env, const std::string& service,
                                          std::vector<std::string> args = {}) {
    auto started = testing::ServiceUnderTest::Start(env, service, std::move(args));
    EXPECT_TRUE(started.ok()) << service << ": " << started.status();
    return started.ok() ? started->release() : nullptr;
  }

  void SetUp() override {
    for (auto [name, service] : Services()) ASSERT_NE(service, nullptr) << name << " did not start";
    auto store = mall_->OpenStore("Books " + eda::RandomHex(3), {2.5, 4});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *store;
    auto customer = mall_->RegisterCustomer("Ada");
    ASSERT_TRUE(customer.ok()) << customer.status();
    customer_ = *customer;
  }

  std::vector<Line> Lines() const { return {{store_.products[0], 2}, {store_.products[1], 1}}; }

  std::string Checkout(const std::string& customer, std::optional<double> authorize = {}) {
    auto order = mall_->Checkout(customer, Lines(), authorize);
    EXPECT_TRUE(order.ok()) << order.status();
    return order.ok() ? *order : "";
  }
  std::string WaitFor(const std::string& order, const std::set<std::string>& statuses,
                      absl::Duration timeout = absl::Seconds(30)) {
    auto status = mall_->WaitForOrder(order, statuses, timeout);
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *status : "";
  }

  static adminpb::GetSagaResponse Saga(const std::string& order) {
    auto admin = cosec_->AdminStub();
    adminpb::GetSagaRequest req;
    req.set_id(order);
    adminpb::GetSagaResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    admin->GetSaga(&ctx, req, &resp);
    return resp;
  }
  static std::string WaitForSaga(const std::string& order, const std::string& status,
                                 absl::Duration timeout = absl::Seconds(30)) {
    std::string seen;
    testing::WaitUntil(
        [&] {
          seen = Saga(order).saga().status();
          return seen == status;
        },
        timeout);
    return seen;
  }
  // What the saga sent and received, in order ("command <name>", "reply <name>", ...).
  static std::vector<std::string> Story(const std::string& order) {
    std::vector<std::string> story;
    const adminpb::GetSagaResponse saga = Saga(order);
    for (const adminpb::SagaEvent& e : saga.history()) {
      story.push_back(e.message().empty() ? e.event() : e.event() + " " + e.message());
    }
    return story;
  }
  static std::vector<std::string> Commands(const std::string& order) {
    std::vector<std::string> commands;
    for (const std::string& line : Story(order)) {
      if (line.rfind("command ", 0) == 0) commands.push_back(line.substr(8));
    }
    return commands;
  }

  static std::vector<messaging::Message> Messages(const std::string& stream,
                                                  const std::string& subject) {
    auto messages = testing::StreamMessages(*nats_, stream, subject);
    EXPECT_TRUE(messages.ok()) << messages.status();
    return messages.ok() ? *messages : std::vector<messaging::Message>();
  }
  // Messages on `stream`/`subject` about saga `order` (commands and replies carry its id).
  static std::vector<messaging::Message> SagaMessages(const std::string& stream,
                                                      const std::string& subject,
                                                      const std::string& order) {
    std::vector<messaging::Message> found;
    for (const messaging::Message& m : Messages(stream, subject)) {
      for (const char* key : {messaging::kCommandSagaId, eda::saga::kReplySagaId}) {
        auto it = m.metadata.find(key);
        if (it != m.metadata.end() && it->second == order) found.push_back(m);
      }
    }
    return found;
  }
  // The id of the order's shopping list, from depot's reply to the saga.
  static std::string ShoppingListOf(const std::string& order) {
    std::string id;
    testing::WaitUntil(
        [&] {
          for (const messaging::Message& r :
               SagaMessages("COSEC_REPLIES", "mallbots.cosec.replies.CreateOrder", order)) {
            depotpb::CreatedShoppingList created;
            if (r.name == "depotapi.CreatedShoppingListReply" &&
                created.ParseFromString(r.payload) && !created.id().empty()) {
              id = created.id();
            }
          }
          return !id.empty();
        },
        absl::Seconds(20));
    return id;
  }
  std::string ListStatus(const std::string& list) {
    auto l = mall_->ShoppingList(list);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? l->status() : "";
  }
  std::string PaymentStatusOf(const std::string& order) {
    std::string payment;
    for (const messaging::Message& m : Messages("ORDERING", "mallbots.ordering.events.Order")) {
      orderingpb::OrderCreated created;
      if (m.name == "ordersapi.OrderCreated" && created.ParseFromString(m.payload) &&
          created.id() == order) {
        payment = created.payment_id();
      }
    }
    auto p = mall_->Payment(payment);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->status() : "";
  }
  // The notices of the SMS notifications sent about `order` (its log sender's "sms" lines), once
  // there are `expected` of them or 20 s have passed.
  static std::vector<std::string> SmsNotices(const std::string& order, size_t expected) {
    std::vector<std::string> notices;
    testing::WaitUntil(
        [&] {
          notices.clear();
          for (absl::string_view line : absl::StrSplit(notifications_->LogTail(2000), '\n')) {
            if (!absl::StrContains(line, "\"sms\"") || !absl::StrContains(line, order)) continue;
            for (const char* notice :
                 {"order_created", "order_ready", "order_canceled", "order_completed"}) {
              if (absl::StrContains(line, absl::StrCat("\"", notice, "\""))) {
                notices.push_back(notice);
              }
            }
          }
          return notices.size() >= expected;
        },
        absl::Seconds(20));
    return notices;
  }
  // The order as search shows it once its status is `status` (or after 20 s).
  static searchpb::Order SearchedOrder(const std::string& order, const std::string& status) {
    auto stub = searchpb::SearchService::NewStub(
        grpc::CreateChannel(search_->grpc_target(), grpc::InsecureChannelCredentials()));
    searchpb::GetOrderResponse resp;
    testing::WaitUntil(
        [&] {
          searchpb::GetOrderRequest req;
          req.set_id(order);
          grpc::ClientContext ctx;
          ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
          resp.Clear();
          return stub->GetOrder(&ctx, req, &resp).ok() && resp.order().status() == status;
        },
        absl::Seconds(20));
    return resp.order();
  }

  static size_t Count(const std::vector<messaging::Message>& messages, const std::string& name,
                      const std::string& id) {
    size_t n = 0;
    for (const messaging::Message& m : messages) {
      orderingpb::OrderApproved any;  // every order event starts with its id
      if (m.name == name && any.ParseFromString(m.payload) && any.id() == id) ++n;
    }
    return n;
  }

  static inline messaging::Connection* nats_ = nullptr;
  static inline testing::ServiceUnderTest* stores_ = nullptr;
  static inline testing::ServiceUnderTest* customers_ = nullptr;
  static inline testing::ServiceUnderTest* baskets_ = nullptr;
  static inline testing::ServiceUnderTest* ordering_ = nullptr;
  static inline testing::ServiceUnderTest* payments_ = nullptr;
  static inline testing::ServiceUnderTest* depot_ = nullptr;
  static inline testing::ServiceUnderTest* cosec_ = nullptr;
  static inline testing::ServiceUnderTest* notifications_ = nullptr;
  static inline testing::ServiceUnderTest* search_ = nullptr;
  static inline testing::TempDir* bots_dir_ = nullptr;
  static inline testing::Process* bots_ = nullptr;
  static inline Mall* mall_ = nullptr;
  Store store_;
  std::string customer_;
  std::string order_;
};

TEST_F(OrderFlowTest, ABasketBecomesACompletedPaidOrderWithTheRobotsShopping) {
  std::vector<std::string> steps;
  auto order = RunOrder(*mall_, customer_, Lines(), absl::Seconds(30),
                        [&](const OrderStep& s) { steps.push_back(s.name); });
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(steps.back(), "order completed");
  auto invoice = mall_->Invoice(*order);
  ASSERT_TRUE(invoice.ok());
  EXPECT_EQ(invoice->status(), "paid");
  EXPECT_DOUBLE_EQ(invoice->amount(), 9);
  EXPECT_EQ(PaymentStatusOf(*order), "confirmed");
  EXPECT_EQ(ListStatus(ShoppingListOf(*order)), "completed");
  EXPECT_EQ(WaitForSaga(*order, "completed"), "completed");
  EXPECT_THAT(
      Commands(*order),
      ::testing::ElementsAre("customersapi.AuthorizeCustomer", "depotapi.CreateShoppingListCommand",
                             "paymentsapi.ConfirmPayment", "depotapi.InitiateShoppingCommand",
                             "ordersapi.ApproveOrder"));
  const auto events = Messages("ORDERING", "mallbots.ordering.events.Order");
  for (const char* name : {"ordersapi.OrderCreated", "ordersapi.OrderApproved",
                           "ordersapi.OrderReadied", "ordersapi.OrderCompleted"}) {
    EXPECT_EQ(Count(events, name, *order), 1u) << name;
  }
  EXPECT_THAT(SmsNotices(*order, 3),
              ::testing::ElementsAre("order_created", "order_ready", "order_completed"));
  const searchpb::Order searched = SearchedOrder(*order, "Completed");
  EXPECT_EQ(searched.status(), "Completed");
  EXPECT_EQ(searched.customer_id(), customer_);
  EXPECT_EQ(searched.customer_name(), "Ada");
  EXPECT_DOUBLE_EQ(searched.total(), 9);
  ASSERT_EQ(searched.items_size(), 2);
  EXPECT_FALSE(searched.items(0).store_name().empty());
  EXPECT_FALSE(searched.items(0).product_name().empty());
}

TEST_F(OrderFlowTest, AnUnknownCustomerGetsTheOrderRejected) {
  const std::string order = Checkout(eda::NewUuid());
  EXPECT_EQ(WaitFor(order, {"rejected", "approved"}), "rejected");
  EXPECT_EQ(WaitForSaga(order, "compensated"), "compensated");
  EXPECT_THAT(Commands(order),
              ::testing::ElementsAre("customersapi.AuthorizeCustomer", "ordersapi.RejectOrder"));
  EXPECT_EQ(PaymentStatusOf(order), "authorized");
}

TEST_F(OrderFlowTest, ADisabledCustomerGetsTheOrderRejected) {
  ASSERT_TRUE(mall_->DisableCustomer(customer_).ok());
  const std::string order = Checkout(customer_);
  EXPECT_EQ(WaitFor(order, {"rejected", "approved"}), "rejected");
  EXPECT_EQ(WaitForSaga(order, "compensated"), "compensated");
  EXPECT_EQ(Commands(order).size(), 2u);
}

TEST_F(OrderFlowTest, AShoppingListThatCannotBeMadeGetsTheOrderRejected) {
  // A product leaves its store after it went into the basket: depot cannot shop for it.
  auto basket = mall_->StartBasket(customer_);
  ASSERT_TRUE(basket.ok()) << basket.status();
  ASSERT_TRUE(mall_->AddItem(*basket, {store_.products[0], 1}).ok());
  ASSERT_TRUE(mall_->AddItem(*basket, {store_.products[1], 1}).ok());
  const std::string gone = store_.products[1].id;
  ASSERT_TRUE(mall_->RemoveProduct(gone).ok());
  // Once depot has taken the removal, neither its catalog nor stores knows the product.
  std::string removal;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (const messaging::Message& m : Messages("STORES", "mallbots.stores.events.Product")) {
          storespb::ProductRemoved removed;
          if (m.name == "storesapi.ProductRemoved" && removed.ParseFromString(m.payload) &&
              removed.id() == gone) {
            removal = m.id;
          }
        }
        return !removal.empty();
      },
      absl::Seconds(10)));
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto admin = depot_->AdminStub();
        adminpb::ListProcessedRequest req;
        req.set_consumer("depot-products");
        req.set_limit(1000);
        adminpb::ListProcessedResponse resp;
        grpc::ClientContext ctx;
        if (!admin->ListProcessed(&ctx, req, &resp).ok()) return false;
        for (const adminpb::ProcessedMessage& m : resp.messages()) {
          if (m.id() == removal) return true;
        }
        return false;
      },
      absl::Seconds(10)));
  auto payment = mall_->AuthorizePayment(customer_, 100);
  ASSERT_TRUE(payment.ok());
  ASSERT_TRUE(mall_->CheckoutBasket(*basket, *payment).ok());
  EXPECT_EQ(WaitFor(*basket, {"rejected", "approved"}), "rejected");
  EXPECT_EQ(WaitForSaga(*basket, "compensated"), "compensated");
  EXPECT_THAT(Commands(*basket), ::testing::ElementsAre("customersapi.AuthorizeCustomer",
                                                        "depotapi.CreateShoppingListCommand",
                                                        "ordersapi.RejectOrder"));
  EXPECT_EQ(PaymentStatusOf(*basket), "authorized");
}

TEST_F(OrderFlowTest, ARefusedPaymentCancelsTheListAndRejectsTheOrder) {
  const std::string order = Checkout(customer_, /*authorize=*/1.0);  // less than the total of 9
  EXPECT_EQ(WaitFor(order, {"rejected", "approved"}), "rejected");
  EXPECT_EQ(WaitForSaga(order, "compensated"), "compensated");
  EXPECT_THAT(
      Commands(order),
      ::testing::ElementsAre("customersapi.AuthorizeCustomer", "depotapi.CreateShoppingListCommand",
                             "paymentsapi.ConfirmPayment", "depotapi.CancelShoppingListCommand",
                             "ordersapi.RejectOrder"));
  EXPECT_EQ(ListStatus(ShoppingListOf(order)), "canceled");
  EXPECT_EQ(PaymentStatusOf(order), "authorized");
}

TEST_F(OrderFlowTest, AFailedInitiateReleasesThePaymentCancelsTheListAndRejectsTheOrder) {
  // Payments is held while the list is canceled under the saga's feet.
  auto order_id = mall_->StartBasket(customer_);
  ASSERT_TRUE(order_id.ok());
  const std::string order = *order_id;
  ASSERT_TRUE(mall_->AddItem(order, Lines()[0]).ok());
  auto payment = mall_->AuthorizePayment(customer_, 100);
  ASSERT_TRUE(payment.ok());
  std::string list;
  {
    Frozen payments(payments_->pid());
    ASSERT_TRUE(mall_->CheckoutBasket(order, *payment).ok());
    list = ShoppingListOf(order);
    ASSERT_FALSE(list.empty());
    ASSERT_TRUE(mall_->CancelShoppingList(list).ok());
  }
  EXPECT_EQ(WaitFor(order, {"rejected", "approved"}), "rejected");
  EXPECT_EQ(WaitForSaga(order, "compensated"), "compensated");
  EXPECT_THAT(
      Commands(order),
      ::testing::ElementsAre("customersapi.AuthorizeCustomer", "depotapi.CreateShoppingListCommand",
                             "paymentsapi.ConfirmPayment", "depotapi.InitiateShoppingCommand",
                             "paymentsapi.ReleasePayment", "depotapi.CancelShoppingListCommand",
                             "ordersapi.RejectOrder"));
  EXPECT_EQ(ListStatus(list), "canceled");
  EXPECT_EQ(PaymentStatusOf(order), "released");
}

TEST_F(OrderFlowTest, AnApprovalRefusedForACancelledOrderUndoesEverything) {
  // No robot may shop the list here; depot is held while the customer cancels the pending order.
  Frozen robots(bots_->pid());
  {
    Frozen depot(depot_->pid());
    const std::string placed = Checkout(customer_);
    ASSERT_EQ(WaitFor(placed, {"pending"}), "pending");
    ASSERT_TRUE(mall_->CancelOrder(placed).ok());
    order_ = placed;
  }
  const std::string order = order_;
  EXPECT_EQ(WaitForSaga(order, "compensated"), "compensated");
  EXPECT_THAT(
      Commands(order),
      ::testing::ElementsAre("customersapi.AuthorizeCustomer", "depotapi.CreateShoppingListCommand",
                             "paymentsapi.ConfirmPayment", "depotapi.InitiateShoppingCommand",
                             "ordersapi.ApproveOrder", "paymentsapi.ReleasePayment",
                             "depotapi.CancelShoppingListCommand", "ordersapi.RejectOrder"));
  EXPECT_EQ(WaitFor(order, {"cancelled"}), "cancelled");
  EXPECT_EQ(ListStatus(ShoppingListOf(order)), "canceled");
  EXPECT_EQ(PaymentStatusOf(order), "released");
}

TEST_F(OrderFlowTest, ARepublishedOrderCreatedStartsNoSecondSaga) {
  const std::string order = Checkout(customer_);
  ASSERT_EQ(WaitForSaga(order, "completed"), "completed");
  messaging::Message created;
  for (const messaging::Message& m : Messages("ORDERING", "mallbots.ordering.events.Order")) {
    orderingpb::OrderCreated payload;
    if (m.name == "ordersapi.OrderCreated" && payload.ParseFromString(m.payload) &&
        payload.id() == order) {
      created = m;
    }
  }
  ASSERT_FALSE(created.id.empty());
  created.id = eda::NewUuid();  // the same event under a new message id
  ASSERT_TRUE(testing::PublishRaw(*nats_, created.subject, messaging::EncodeEnvelope(created),
                                  {{"Nats-Msg-Id", created.id}})
                  .ok());
  ASSERT_TRUE(
      testing::WaitUntil([&] { return Story(order).back() == "ignored"; }, absl::Seconds(10)));
  EXPECT_EQ(SagaMessages("CUSTOMERS_COMMANDS", "mallbots.customers.commands", order).size(), 1u);
  EXPECT_EQ(Saga(order).saga().status(), "completed");
}

TEST_F(OrderFlowTest, AReplyThatComesTwiceChangesNothing) {
  const std::string order = Checkout(customer_);
  ASSERT_EQ(WaitForSaga(order, "completed"), "completed");
  const auto replies = SagaMessages("COSEC_REPLIES", "mallbots.cosec.replies.CreateOrder", order);
  ASSERT_FALSE(replies.empty());
  messaging::Message again = replies.front();  // the customer's authorization, re-sent
  again.id = eda::NewUuid();
  ASSERT_TRUE(testing::PublishRaw(*nats_, again.subject, messaging::EncodeEnvelope(again),
                                  {{"Nats-Msg-Id", again.id}})
                  .ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return Story(order).back() == "ignored am.Success"; },
                                 absl::Seconds(10)));
  EXPECT_EQ(Commands(order).size(), 5u);
  EXPECT_EQ(Saga(order).saga().status(), "completed");
}

TEST_F(OrderFlowTest, AReplyAfterItsStepsDeadlineIsIgnoredAndTheOrderRejected) {
  auto basket = mall_->StartBasket(customer_);
  ASSERT_TRUE(basket.ok()) << basket.status();
  const std::string order = *basket;
  ASSERT_TRUE(mall_->AddItem(order, Lines()[0]).ok());
  auto payment = mall_->AuthorizePayment(customer_, 100);
  ASSERT_TRUE(payment.ok());
  ASSERT_TRUE(cosec_->Restart(SIGTERM, {kShortStepDeadline}).ok());
  bool checked_out = false;
  std::string saga;
  {
    Frozen customers(customers_->pid());  // the authorization comes after the deadline
    checked_out = mall_->CheckoutBasket(order, *payment).ok();
    saga = WaitForSaga(order, "compensated");
  }
  ASSERT_TRUE(cosec_->Restart(SIGTERM, {}).ok());
  ASSERT_TRUE(checked_out);
  ASSERT_EQ(saga, "compensated");
  EXPECT_EQ(WaitFor(order, {"rejected"}), "rejected");
  EXPECT_TRUE(testing::WaitUntil([&] { return Story(order).back() == "ignored am.Success"; },
                                 absl::Seconds(15)));
  EXPECT_THAT(Story(order), Contains("timeout customersapi.AuthorizeCustomer"));
}

TEST_F(OrderFlowTest, CosecKilledInTheMiddleOfSagasFinishesEveryOneOfThem) {
  // Orders keep coming while cosec is killed and started again.
  absl::Mutex mu;
  std::vector<std::string> orders;
  std::thread customers([&] {
    for (int i = 0; i < 16; ++i) {
      std::string order = Checkout(customer_);
      absl::MutexLock lock(&mu);
      orders.push_back(std::move(order));
    }
  });
  {
    absl::MutexLock lock(&mu);
    auto some = [&] { return orders.size() >= 5; };
    mu.Await(absl::Condition(&some));
  }
  const absl::Status restarted = cosec_->Restart(SIGKILL);
  customers.join();
  ASSERT_TRUE(restarted.ok()) << restarted;
  // Replies the killed process had fetched come back after the ack wait (30 s).
  for (const std::string& order : orders) {
    ASSERT_EQ(WaitFor(order, {"ready", "rejected"}, absl::Seconds(60)), "ready") << order;
    ASSERT_TRUE(mall_->WaitForInvoice(order, absl::Seconds(10)).ok());
    ASSERT_TRUE(mall_->PayInvoice(order).ok());
  }
  for (const std::string& order : orders) {
    EXPECT_EQ(WaitFor(order, {"completed"}), "completed");
    EXPECT_EQ(WaitForSaga(order, "completed"), "completed");
    // Each command once: the saga's state and its next command are committed together.
    std::map<std::string, int> per_name;
    for (const char* channel :
         {"CUSTOMERS_COMMANDS mallbots.customers.commands",
          "DEPOT_COMMANDS mallbots.depot.commands", "PAYMENTS_COMMANDS mallbots.payments.commands",
          "ORDERING_COMMANDS mallbots.ordering.commands"}) {
      const std::vector<std::string> parts = absl::StrSplit(channel, ' ');
      for (const messaging::Message& m : SagaMessages(parts[0], parts[1], order)) {
        ++per_name[m.name];
      }
    }
    EXPECT_EQ(per_name, (std::map<std::string, int>{{"customersapi.AuthorizeCustomer", 1},
                                                    {"depotapi.CreateShoppingListCommand", 1},
                                                    {"paymentsapi.ConfirmPayment", 1},
                                                    {"depotapi.InitiateShoppingCommand", 1},
                                                    {"ordersapi.ApproveOrder", 1}}))
        << order;
  }
  const auto events = Messages("ORDERING", "mallbots.ordering.events.Order");
  for (const std::string& order : orders) {
    EXPECT_EQ(Count(events, "ordersapi.OrderApproved", order), 1u);
    EXPECT_EQ(Count(events, "ordersapi.OrderCompleted", order), 1u);
  }
}

TEST_F(OrderFlowTest, MallctlPaysTheInvoiceAndTellsTheOrdersStory) {
  // The state directory `make up` writes, pointing at this suite's processes.
  testing::TempDir home("e2e-mallctl");
  {
    std::ofstream env(home.path() + "/stack.env");
    env << "MALLBOTS_NATS_URL=" << testing::SharedStackNats().url() << "\n"
        << "MALLBOTS_NATS_ADMIN_USER=admin\n"
        << "MALLBOTS_NATS_ADMIN_PASSWORD=" << testing::SharedStackNats().Password("admin") << "\n"
        << "MALLBOTS_GRPC_PAYMENTS=" << payments_->grpc_target() << "\n"
        << "MALLBOTS_ADMIN_COSEC=127.0.0.1:" << cosec_->admin_port() << "\n";
  }
  chmod((home.path() + "/stack.env").c_str(), 0600);
  auto mallctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), std::getenv("MALLCTL_BIN"));
    args.push_back("--state-dir=" + home.path());
    absl::StatusOr<std::string> out = testing::CommandOutput(args);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  };
  const std::string order = Checkout(customer_);
  ASSERT_EQ(WaitFor(order, {"ready", "rejected"}), "ready");
  ASSERT_TRUE(mall_->WaitForInvoice(order, absl::Seconds(10)).ok());
  mallctl({"pay", order});
  EXPECT_EQ(WaitFor(order, {"completed"}), "completed");

  const std::string story = mallctl({"saga", "show", order});
  EXPECT_THAT(story, ::testing::HasSubstr("saga cosec.CreateOrder " + order + ": completed"));
  EXPECT_THAT(story, ::testing::HasSubstr("command ordersapi.ApproveOrder"));
  EXPECT_THAT(story, ::testing::HasSubstr("reply depotapi.CreatedShoppingListReply SUCCESS"));
  EXPECT_THAT(mallctl({"saga", "list", "--status=completed"}), ::testing::HasSubstr(order));

  // Its messages across every stream, in the order they were stored.
  const std::string followed = mallctl({"follow", order, "--timeout=1s"});
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(followed, '\n', absl::SkipEmpty())) {
    const size_t at = line.find("\"name\":\"");
    if (at != absl::string_view::npos) {
      const size_t from = at + 8;
      names.emplace_back(line.substr(from, line.find('"', from) - from));
    }
  }
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "basketsapi.BasketStarted");
  EXPECT_EQ(names.back(), "ordersapi.OrderCompleted");
  EXPECT_THAT(names, Contains("depotapi.ShoppingListCompleted"));
  EXPECT_THAT(names, Contains("paymentsapi.InvoicePaid"));
}

}  // namespace
}  // namespace mallbots
