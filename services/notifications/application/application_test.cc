// The Notify use case against fakes of its ports: once per notice, nothing recorded when the
// sending fails, a customer without a number skipped.
#include "services/notifications/application/application.h"

#include <map>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace notifications::application {
namespace {

constexpr char kOrder[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr char kAda[] = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
constexpr char kBo[] = "16fd2706-8baf-433b-82eb-8c7fada847da";

class FakeCustomers final : public Customers {
 public:
  absl::StatusOr<customerspb::Customer> Find(const std::string& id) override {
    auto it = known.find(id);
    if (it == known.end()) return absl::NotFoundError("customer fallback failed");
    return it->second;
  }
  void Registered(const customerspb::CustomerRegistered&) override {}
  void SmsChanged(const customerspb::CustomerSmsChanged&) override {}
  std::map<std::string, customerspb::Customer> known;
};

class FakeNotices final : public Notices {
 public:
  absl::StatusOr<bool> Given(const std::string& order_id, domain::Notice notice) override {
    return given.count({order_id, notice}) > 0;
  }
  void Record(const std::string& key, const std::string& order_id, const std::string&,
              domain::Notice notice, const std::optional<domain::Sms>& sms) override {
    given.insert({order_id, notice});
    keys.push_back(key);
    skipped += sms.has_value() ? 0 : 1;
  }
  std::set<std::pair<std::string, domain::Notice>> given;
  std::vector<std::string> keys;
  int skipped = 0;
};

class FakeSender final : public Sender {
 public:
  absl::Status Send(const domain::Sms& sms, const std::string& key) override {
    if (!fail.ok()) return fail;
    sent.push_back({sms.to(), key});
    return absl::OkStatus();
  }
  absl::Status fail;
  std::vector<std::pair<std::string, std::string>> sent;
};

class NotifyTest : public ::testing::Test {
 protected:
  NotifyTest() {
    customers_.known[kAda].set_name("Ada");
    customers_.known[kAda].set_sms_number("555-0100");
    customers_.known[kBo].set_name("Bo");
  }
  absl::Status Notify(domain::Notice notice, const std::string& key,
                      const std::string& customer = kAda) {
    return application::Notify(ports_, notice, key, kOrder, customer);
  }
  FakeCustomers customers_;
  FakeNotices notices_;
  FakeSender sender_;
  Ports ports_{customers_, notices_, sender_};
};

TEST_F(NotifyTest, ANoticeIsSentOnceWithItsKey) {
  ASSERT_TRUE(Notify(domain::ORDER_CREATED, "event-1").ok());
  ASSERT_TRUE(Notify(domain::ORDER_CREATED, "event-2").ok());
  ASSERT_TRUE(Notify(domain::ORDER_READY, "event-3").ok());
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[0], std::make_pair(std::string("555-0100"), std::string("event-1")));
  EXPECT_EQ(sender_.sent[1].second, "event-3");
  EXPECT_EQ(notices_.keys, (std::vector<std::string>{"event-1", "event-3"}));
}

TEST_F(NotifyTest, AFailedSendRecordsNothingSoTheRetrySendsIt) {
  sender_.fail = absl::UnavailableError("sms endpoint unreachable");
  EXPECT_EQ(Notify(domain::ORDER_CREATED, "event-1").code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(notices_.given.empty());
  sender_.fail = absl::OkStatus();
  ASSERT_TRUE(Notify(domain::ORDER_CREATED, "event-1").ok());
  EXPECT_EQ(sender_.sent.size(), 1u);
}

TEST_F(NotifyTest, ACustomerWithoutANumberIsSkippedAndRecorded) {
  ASSERT_TRUE(Notify(domain::ORDER_CREATED, "event-1", kBo).ok());
  EXPECT_TRUE(sender_.sent.empty());
  EXPECT_EQ(notices_.skipped, 1);
}

TEST_F(NotifyTest, BadIdsAndUnknownCustomersAreRefused) {
  EXPECT_EQ(application::Notify(ports_, domain::ORDER_CREATED, "k", "nope", kAda).message(),
            "the order id must be a UUID");
  EXPECT_EQ(Notify(domain::ORDER_CREATED, "k", "x").message(), "the customer id must be a UUID");
  EXPECT_EQ(Notify(domain::ORDER_CREATED, "k", "16fd2706-8baf-433b-82eb-8c7fada84700").code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(sender_.sent.empty());
  EXPECT_EQ(RequestKey(domain::ORDER_READY, kOrder), std::string("order_ready/") + kOrder);
}

}  // namespace
}  // namespace notifications::application
