#include "services/customers/application/application.h"

#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace customers::application {
namespace {

class FakeRepository final : public domain::CustomerRepository {
 public:
  absl::StatusOr<domain::Customer> Find(const std::string& id) override {
    auto it = rows.find(id);
    if (it == rows.end()) return absl::NotFoundError("customer " + id + " not found");
    return it->second;
  }
  absl::Status Insert(const domain::Customer& c) override {
    rows.insert_or_assign(c.id(), c);
    return absl::OkStatus();
  }
  absl::Status Update(const domain::Customer& c) override { return Insert(c); }
  std::map<std::string, domain::Customer> rows;
};

class FakeSink final : public domain::EventSink {
 public:
  absl::Status Publish(const domain::CustomerEvent& e) override {
    events.push_back(e);
    return absl::OkStatus();
  }
  std::vector<domain::CustomerEvent> events;
};

constexpr char kId[] = "6f1c2d3e-0000-4000-8000-000000000001";

class ApplicationTest : public ::testing::Test {
 protected:
  FakeRepository repo;
  FakeSink sink;
  Ports ports{repo, sink};
};

TEST_F(ApplicationTest, RegisterStoresAndAnnounces) {
  auto id = RegisterCustomer(
      ports, [] { return std::string(kId); }, "Ada", "555");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, kId);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(std::get<domain::CustomerRegistered>(sink.events[0]).name, "Ada");
  EXPECT_TRUE(repo.Find(kId)->enabled());
}

TEST_F(ApplicationTest, InvalidInputChangesNothing) {
  EXPECT_EQ(RegisterCustomer(
                ports, [] { return std::string(kId); }, "", "555")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(repo.rows.empty());
  EXPECT_TRUE(sink.events.empty());
  EXPECT_EQ(EnableCustomer(ports, "not-a-uuid").message(), "the customer id must be a UUID");
  EXPECT_EQ(EnableCustomer(ports, "").message(), "the customer id cannot be blank");
}

TEST_F(ApplicationTest, UnknownCustomerIsNotFound) {
  EXPECT_EQ(DisableCustomer(ports, kId).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(AuthorizeCustomer(ports, kId).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetCustomer(repo, kId).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ApplicationTest, DisableThenAuthorizeFails) {
  ASSERT_TRUE(RegisterCustomer(
                  ports, [] { return std::string(kId); }, "Ada", "555")
                  .ok());
  ASSERT_TRUE(DisableCustomer(ports, kId).ok());
  EXPECT_EQ(AuthorizeCustomer(ports, kId).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(std::get<domain::CustomerDisabled>(sink.events.back()).id, kId);
  ASSERT_TRUE(ChangeSmsNumber(ports, kId, "999").ok());
  EXPECT_EQ(repo.Find(kId)->sms_number(), "999");
}

}  // namespace
}  // namespace customers::application
