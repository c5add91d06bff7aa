// The customers use cases against an in-memory repository.
#include "services/customers/application/application.h"

#include <map>

#include "gtest/gtest.h"

namespace customers::application {
namespace {

using domain::Customer;

class FakeRepository final : public eda::es::AggregateRepository<Customer> {
 public:
  absl::StatusOr<Customer> Load(const std::string& id) override {
    auto it = rows.find(id);
    if (it == rows.end()) return absl::NotFoundError("customer " + id + " not found");
    return Customer::Restore(id, it->second);
  }
  absl::Status Save(Customer& c) override {
    for (const domain::CustomerEvent& e : c.pending()) events.push_back(e);
    rows.insert_or_assign(c.id(), c.state());
    return absl::OkStatus();
  }
  std::map<std::string, domain::CustomerState> rows;
  std::vector<domain::CustomerEvent> events;
};

class ApplicationTest : public ::testing::Test {
 protected:
  std::string Register() {
    absl::StatusOr<std::string> id = RegisterCustomer(ports, "Ada", "555");
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or("");
  }
  FakeRepository repo;
  Ports ports{repo};
};

TEST_F(ApplicationTest, RegisterStoresAndAnnounces) {
  const std::string id = Register();
  ASSERT_EQ(repo.events.size(), 1u);
  EXPECT_EQ(std::get<domain::CustomerRegistered>(repo.events[0]).name(), "Ada");
  EXPECT_TRUE(repo.rows.at(id).enabled());
}

TEST_F(ApplicationTest, InvalidInputChangesNothing) {
  EXPECT_EQ(RegisterCustomer(ports, "", "555").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(repo.rows.empty());
  EXPECT_TRUE(repo.events.empty());
  EXPECT_EQ(EnableCustomer(ports, "not-a-uuid").message(), "the customer id must be a UUID");
  EXPECT_EQ(EnableCustomer(ports, "").message(), "the customer id cannot be blank");
}

TEST_F(ApplicationTest, UnknownCustomerIsNotFound) {
  constexpr char kId[] = "6f1c2d3e-0000-4000-8000-000000000001";
  EXPECT_EQ(DisableCustomer(ports, kId).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(AuthorizeCustomer(ports, kId).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetCustomer(ports, kId).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ApplicationTest, DisableThenAuthorizeFails) {
  const std::string id = Register();
  ASSERT_TRUE(DisableCustomer(ports, id).ok());
  EXPECT_EQ(AuthorizeCustomer(ports, id).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(std::holds_alternative<domain::CustomerDisabled>(repo.events.back()));
  ASSERT_TRUE(ChangeSmsNumber(ports, id, "999").ok());
  EXPECT_EQ(repo.rows.at(id).sms_number(), "999");
}

}  // namespace
}  // namespace customers::application
