// The notifications binary beside a real customers binary (its cache's events and fallback), both
// started by the test against real PostgreSQL and nats-server, sending to an HTTP receiver of the
// test: each order event becomes one POST under the event's id, a notice is given once, a
// refused POST comes again, and a kill between the POST and the commit sends it again with the
// same key.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/streams.h"
#include "libs/pg/connection.h"
#include "libs/service/service_fixture.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/customers/customers_service.grpc.pb.h"
#include "proto/notifications/notifications_service.grpc.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "services/ordering/api/messages.h"

namespace notifications {
namespace {

namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;
using ::testing::HasSubstr;
using Stub = notificationspb::NotificationsService::Stub;
using CustomersStub = customerspb::CustomersService::Stub;

// One POST the receiver took.
struct Delivery {
  std::string key;
  std::string body;
};

// The SMS gateway of the tests: records each POST; answers with `status` (200 unless set), and
// may run `hook` first with the key (a test kills the service from there).
class Receiver final {
 public:
  Receiver() {
    server_.Post("/sms", [this](const httplib::Request& req, httplib::Response& res) {
      std::function<void(const std::string&)> hook;
      int status = 200;
      {
        absl::MutexLock lock(&mu_);
        deliveries_.push_back({req.get_header_value("Idempotency-Key"), req.body});
        hook = hook_;
        status = status_;
      }
      if (hook) hook(req.get_header_value("Idempotency-Key"));
      res.status = status;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/sms"); }
  void Answer(int status) {
    absl::MutexLock lock(&mu_);
    status_ = status;
  }
  void OnPost(std::function<void(const std::string&)> hook) {
    absl::MutexLock lock(&mu_);
    hook_ = std::move(hook);
  }
  // The POSTs whose body mentions `order_id`, in the order they came.
  std::vector<Delivery> For(const std::string& order_id) {
    absl::MutexLock lock(&mu_);
    std::vector<Delivery> out;
    for (const Delivery& d : deliveries_) {
      if (d.body.find(order_id) != std::string::npos) out.push_back(d);
    }
    return out;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Delivery> deliveries_;
  std::function<void(const std::string&)> hook_;
  int status_ = 200;
};

class NotificationsServiceTest
    : public testing::ServiceFixture<notificationspb::NotificationsService> {
 protected:
  static void SetUpTestSuite() {
    // The stream of the context whose events it tells about (ordering does not run here).
    auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    ASSERT_TRUE(messaging::EnsureStream(
                    (*nats)->js(), {.name = "ORDERING", .subjects = {"mallbots.ordering.events.>"}})
                    .ok());
    auto customers = testing::ServiceUnderTest::Start("CUSTOMERS_BIN", "customers");
    ASSERT_TRUE(customers.ok()) << customers.status();
    customers_ = customers->release();
    receiver_ = new Receiver();
    StartService(
        "NOTIFICATIONS_BIN", "notifications",
        {"--rpc-services=CUSTOMERS=" + customers_->grpc_target(), "--notifications-sender=http",
         "--notifications-http-url=" + receiver_->url(), "--notifications-http-timeout=2s"});
  }
  static void TearDownTestSuite() {
    ServiceFixture::TearDownTestSuite();
    delete customers_;
    customers_ = nullptr;
    delete receiver_;
    receiver_ = nullptr;
  }

  // A customer registered with the customers service: its id.
  std::string Register(const std::string& name, const std::string& sms) {
    auto stub = customerspb::CustomersService::NewStub(
        grpc::CreateChannel(customers_->grpc_target(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    customerspb::RegisterCustomerRequest req;
    req.set_name(name);
    req.set_sms_number(sms);
    customerspb::RegisterCustomerResponse resp;
    grpc::Status s = stub->RegisterCustomer(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.id();
  }

  // The customer's row in the notifications cache once its event arrived ("" until then).
  static std::string CachedSms(const std::string& customer_id) {
    auto conn = eda::pg::Connection::Open(service_->dsn());
    if (!conn.ok()) return "";
    auto r = conn->Exec("SELECT sms_number FROM customers_cache WHERE id = $1", {customer_id});
    return r.ok() && r->rows() == 1 ? std::string(r->Text(0, 0)) : "";
  }
  static int64_t Rows(const std::string& sql, const std::string& param) {
    auto conn = eda::pg::Connection::Open(service_->dsn());
    EXPECT_TRUE(conn.ok()) << conn.status();
    auto r = conn->Exec(sql, {param});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::stoll(std::string(r->Text(0, 0))) : -1;
  }

  // Publishes ordering's event T for the order; returns its message id.
  template <typename T>
  static std::string OrderEvent(const char* name, const std::string& order_id,
                                const std::string& customer_id, std::string message_id = "") {
    T event;
    event.set_id(order_id);
    event.set_customer_id(customer_id);
    if (message_id.empty()) message_id = eda::NewUuid();
    Publish(ordering::api::kOrderSubject, name, event, {}, message_id);
    return message_id;
  }

  static std::vector<Delivery> WaitForPosts(const std::string& order_id, size_t count,
                                            absl::Duration timeout = absl::Seconds(15)) {
    std::vector<Delivery> got;
    testing::WaitUntil(
        [&] {
          got = receiver_->For(order_id);
          return got.size() >= count;
        },
        timeout);
    return got;
  }

  static inline testing::ServiceUnderTest* customers_ = nullptr;
  static inline Receiver* receiver_ = nullptr;
};

TEST_F(NotificationsServiceTest, EachOrderEventIsOnePostUnderItsMessageId) {
  const std::string customer = Register("Ada", "555-0100");
  const std::string order = eda::NewUuid();
  namespace api = ordering::api;
  std::vector<std::string> ids = {
      OrderEvent<orderingpb::OrderCreated>(api::kOrderCreated, order, customer),
      OrderEvent<orderingpb::OrderApproved>(api::kOrderApproved, order, customer),
      OrderEvent<orderingpb::OrderReadied>(api::kOrderReadied, order, customer),
      OrderEvent<orderingpb::OrderCompleted>(api::kOrderCompleted, order, customer)};
  std::vector<Delivery> posts = WaitForPosts(order, 3);
  ASSERT_EQ(posts.size(), 3u) << service_->LogTail();
  std::set<std::string> keys;
  for (const Delivery& d : posts) keys.insert(d.key);
  EXPECT_EQ(keys, (std::set<std::string>{ids[0], ids[2], ids[3]}));  // approved: no notice
  EXPECT_THAT(posts[0].body, HasSubstr("\"to\":\"555-0100\""));
  EXPECT_THAT(posts[0].body, HasSubstr("Hello Ada, your order"));
  EXPECT_EQ(Rows("SELECT count(*) FROM notifications WHERE order_id = $1", order), 3);
}

TEST_F(NotificationsServiceTest, ANoticeIsGivenOnceHoweverOftenItsEventComes) {
  const std::string customer = Register("Bo", "555-0101");
  const std::string order = eda::NewUuid();
  const std::string id =
      OrderEvent<orderingpb::OrderCreated>(ordering::api::kOrderCreated, order, customer);
  ASSERT_EQ(WaitForPosts(order, 1).size(), 1u);
  // The same message again (a redelivery), then the same notice under another message id.
  OrderEvent<orderingpb::OrderCreated>(ordering::api::kOrderCreated, order, customer, id);
  OrderEvent<orderingpb::OrderCreated>(ordering::api::kOrderCreated, order, customer);
  // A later event of the order proves both were handled before it.
  OrderEvent<orderingpb::OrderCanceled>(ordering::api::kOrderCanceled, order, customer);
  ASSERT_EQ(WaitForPosts(order, 2).size(), 2u);
  EXPECT_EQ(Rows("SELECT count(*) FROM notifications WHERE order_id = $1", order), 2);
  EXPECT_EQ(receiver_->For(order).size(), 2u);
}

TEST_F(NotificationsServiceTest, TheCacheFollowsTheCustomerAndAMissAsksTheCustomersService) {
  const std::string customer = Register("Cy", "555-0102");
  ASSERT_TRUE(
      testing::WaitUntil([&] { return CachedSms(customer) == "555-0102"; }, absl::Seconds(10)));
  {
    auto stub = customerspb::CustomersService::NewStub(
        grpc::CreateChannel(customers_->grpc_target(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    customerspb::ChangeSmsNumberRequest req;
    req.set_id(customer);
    req.set_sms_number("555-0199");
    customerspb::ChangeSmsNumberResponse resp;
    ASSERT_TRUE(stub->ChangeSmsNumber(&ctx, req, &resp).ok());
  }
  ASSERT_TRUE(
      testing::WaitUntil([&] { return CachedSms(customer) == "555-0199"; }, absl::Seconds(10)));
  // Forgotten by the cache: the notice asks the customers service, and remembers the answer.
  ASSERT_EQ(Rows("WITH d AS (DELETE FROM customers_cache WHERE id = $1 RETURNING 1) "
                 "SELECT count(*) FROM d",
                 customer),
            1);
  const std::string order = eda::NewUuid();
  OrderEvent<orderingpb::OrderCreated>(ordering::api::kOrderCreated, order, customer);
  std::vector<Delivery> posts = WaitForPosts(order, 1);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_THAT(posts[0].body, HasSubstr("\"to\":\"555-0199\""));
  EXPECT_EQ(CachedSms(customer), "555-0199");
}

TEST_F(NotificationsServiceTest, RpcsGiveTheirNoticeOnceAndRefuseBadIds) {
  const std::string customer = Register("Di", "555-0103");
  const std::string order = eda::NewUuid();
  notificationspb::NotifyOrderReadyRequest req;
  req.set_order_id(order);
  req.set_customer_id(customer);
  notificationspb::NotifyOrderReadyResponse resp;
  ASSERT_TRUE(Call(&Stub::NotifyOrderReady, req, &resp).ok());
  ASSERT_TRUE(Call(&Stub::NotifyOrderReady, req, &resp).ok());
  std::vector<Delivery> posts = receiver_->For(order);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].key, "order_ready/" + order);
  EXPECT_THAT(posts[0].body, HasSubstr("is ready for pickup"));

  notificationspb::NotifyOrderCreatedRequest bad;
  bad.set_order_id("not-a-uuid");
  bad.set_customer_id(customer);
  notificationspb::NotifyOrderCreatedResponse none;
  grpc::Status s = Call(&Stub::NotifyOrderCreated, bad, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the order id must be a UUID");
  bad.set_order_id(order);
  bad.set_customer_id(eda::NewUuid());
  s = Call(&Stub::NotifyOrderCreated, bad, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "customer fallback failed: customer was not located");
}

TEST_F(NotificationsServiceTest, ARefusedPostIsSentAgainUntilTheGatewayTakesIt) {
  const std::string customer = Register("Ed", "555-0104");
  const std::string order = eda::NewUuid();
  receiver_->Answer(503);
  const std::string id =
      OrderEvent<orderingpb::OrderCreated>(ordering::api::kOrderCreated, order, customer);
  ASSERT_GE(WaitForPosts(order, 2).size(), 2u);
  EXPECT_EQ(Rows("SELECT count(*) FROM notifications WHERE order_id = $1", order), 0);
  receiver_->Answer(200);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Rows("SELECT count(*) FROM notifications WHERE idempotency_key = $1", id) == 1;
      },
      absl::Seconds(30)));
  for (const Delivery& d : receiver_->For(order)) EXPECT_EQ(d.key, id);
}

TEST_F(NotificationsServiceTest, AKillBetweenThePostAndTheCommitSendsItAgainUnderTheSameKey) {
  const std::string customer = Register("Flo", "555-0105");
  ASSERT_TRUE(testing::WaitUntil([&] { return !CachedSms(customer).empty(); }, absl::Seconds(10)));
  const std::string order = eda::NewUuid();
  // The gateway takes the message, and the service dies before it can commit its record.
  std::atomic<bool> killed{false};
  receiver_->OnPost([&](const std::string&) {
    if (!killed.exchange(true)) service_->Signal(SIGKILL);
  });
  const std::string id =
      OrderEvent<orderingpb::OrderCreated>(ordering::api::kOrderCreated, order, customer);
  ASSERT_EQ(WaitForPosts(order, 1).size(), 1u);
  receiver_->OnPost(nullptr);
  ASSERT_TRUE(service_->Restart(SIGKILL).ok());
  // The unacknowledged message comes back after the consumer's ack wait (30 s).
  std::vector<Delivery> posts = WaitForPosts(order, 2, absl::Seconds(60));
  ASSERT_EQ(posts.size(), 2u) << service_->LogTail();
  EXPECT_EQ(posts[0].key, id);
  EXPECT_EQ(posts[1].key, id);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Rows("SELECT count(*) FROM notifications WHERE idempotency_key = $1", id) == 1;
      },
      absl::Seconds(10)));
}

}  // namespace
}  // namespace notifications
