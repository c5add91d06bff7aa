// The customers binary, started by the test against real PostgreSQL and nats-server, called over
// gRPC and observed on its stream: every RPC, its errors, its events, and its command replies.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "libs/messaging/streams.h"
#include "libs/service/service_fixture.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/customers/customers_service.grpc.pb.h"

namespace customers {
namespace {

using ::testing::HasSubstr;
namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;

constexpr char kEvents[] = "mallbots.customers.events.Customer";
constexpr char kReplies[] = "mallbots.cosec.replies.CreateOrder";

class CustomersServiceTest : public testing::ServiceFixture<customerspb::CustomersService> {
 protected:
  static void SetUpTestSuite() {
    StartService("CUSTOMERS_BIN", "customers");
    // The saga's reply stream, which the cosec service would own.
    ASSERT_TRUE(messaging::EnsureStream(nats_->js(), {.name = "COSEC_REPLIES",
                                                      .subjects = {"mallbots.cosec.replies.>"}})
                    .ok());
  }

  std::string Register(const std::string& name, const std::string& sms) {
    customerspb::RegisterCustomerRequest req;
    req.set_name(name);
    req.set_sms_number(sms);
    customerspb::RegisterCustomerResponse resp;
    grpc::Status s = Call(&customerspb::CustomersService::Stub::RegisterCustomer, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.id();
  }

  // The first event named `name` about `id`, waiting for it.
  template <typename T>
  static std::optional<std::pair<messaging::Message, T>> WaitForEvent(const std::string& name,
                                                                      const std::string& id) {
    auto events = Events<T>("CUSTOMERS", kEvents, name, id);
    if (events.empty()) return std::nullopt;
    return events.front();
  }
};

TEST_F(CustomersServiceTest, RegisterThenGetAndTheEventCarriesTheTrace) {
  const std::string id = Register("Ada", "555-0100");
  EXPECT_TRUE(eda::IsUuid(id)) << id;
  customerspb::GetCustomerRequest get;
  get.set_id(id);
  customerspb::GetCustomerResponse got;
  ASSERT_TRUE(Call(&customerspb::CustomersService::Stub::GetCustomer, get, &got).ok());
  EXPECT_EQ(got.customer().id(), id);
  EXPECT_EQ(got.customer().name(), "Ada");
  EXPECT_EQ(got.customer().sms_number(), "555-0100");
  EXPECT_TRUE(got.customer().enabled());

  auto event = WaitForEvent<customerspb::CustomerRegistered>("customersapi.CustomerRegistered", id);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->second.name(), "Ada");
  EXPECT_EQ(event->second.sms_number(), "555-0100");
  EXPECT_THAT(event->first.metadata["traceparent"], HasSubstr("4bf92f3577b34da6a3ce929d0e0e4736"));
}

TEST_F(CustomersServiceTest, EnableDisableAndAuthorize) {
  const std::string id = Register("Bob", "555-0101");
  customerspb::EnableCustomerRequest enable;
  enable.set_id(id);
  customerspb::EnableCustomerResponse enabled;
  grpc::Status s = Call(&customerspb::CustomersService::Stub::EnableCustomer, enable, &enabled);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the customer is already enabled");

  customerspb::DisableCustomerRequest disable;
  disable.set_id(id);
  customerspb::DisableCustomerResponse disabled;
  ASSERT_TRUE(Call(&customerspb::CustomersService::Stub::DisableCustomer, disable, &disabled).ok());
  ASSERT_TRUE(WaitForEvent<customerspb::CustomerDisabled>("customersapi.CustomerDisabled", id));
  s = Call(&customerspb::CustomersService::Stub::DisableCustomer, disable, &disabled);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the customer is already disabled");

  customerspb::AuthorizeCustomerRequest auth;
  auth.set_id(id);
  customerspb::AuthorizeCustomerResponse authorized;
  s = Call(&customerspb::CustomersService::Stub::AuthorizeCustomer, auth, &authorized);
  EXPECT_EQ(s.error_code(), grpc::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "customer is not authorized");

  ASSERT_TRUE(Call(&customerspb::CustomersService::Stub::EnableCustomer, enable, &enabled).ok());
  ASSERT_TRUE(WaitForEvent<customerspb::CustomerEnabled>("customersapi.CustomerEnabled", id));
  EXPECT_TRUE(
      Call(&customerspb::CustomersService::Stub::AuthorizeCustomer, auth, &authorized).ok());
}

TEST_F(CustomersServiceTest, ChangeSmsNumberUpdatesAndAnnounces) {
  const std::string id = Register("Cy", "555-0102");
  customerspb::ChangeSmsNumberRequest req;
  req.set_id(id);
  req.set_sms_number("555-0199");
  customerspb::ChangeSmsNumberResponse resp;
  ASSERT_TRUE(Call(&customerspb::CustomersService::Stub::ChangeSmsNumber, req, &resp).ok());
  auto event = WaitForEvent<customerspb::CustomerSmsChanged>("customersapi.CustomerSmsChanged", id);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->second.sms_number(), "555-0199");
  customerspb::GetCustomerRequest get;
  get.set_id(id);
  customerspb::GetCustomerResponse got;
  ASSERT_TRUE(Call(&customerspb::CustomersService::Stub::GetCustomer, get, &got).ok());
  EXPECT_EQ(got.customer().sms_number(), "555-0199");
  req.set_sms_number("");
  grpc::Status s = Call(&customerspb::CustomersService::Stub::ChangeSmsNumber, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the SMS number cannot be blank");
}

TEST_F(CustomersServiceTest, BadRequestsAreRejectedWithoutEvents) {
  // Registrations before and after the bad requests, their events waited for: the service
  // publishes in commit order, so an event of a bad request would come between the two.
  const std::string before = Register("Before", "555-0110");
  ASSERT_TRUE(
      WaitForEvent<customerspb::CustomerRegistered>("customersapi.CustomerRegistered", before));
  const size_t events_before = Messages("CUSTOMERS", kEvents).size();
  customerspb::RegisterCustomerRequest reg;
  customerspb::RegisterCustomerResponse reg_resp;
  reg.set_sms_number("555");
  grpc::Status s = Call(&customerspb::CustomersService::Stub::RegisterCustomer, reg, &reg_resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the customer name cannot be blank");
  reg.set_name("Dee");
  reg.set_sms_number("");
  s = Call(&customerspb::CustomersService::Stub::RegisterCustomer, reg, &reg_resp);
  EXPECT_EQ(s.error_message(), "the SMS number cannot be blank");
  reg.set_name(std::string(5000, 'x'));
  reg.set_sms_number("555");
  EXPECT_EQ(
      Call(&customerspb::CustomersService::Stub::RegisterCustomer, reg, &reg_resp).error_code(),
      grpc::INVALID_ARGUMENT);

  customerspb::GetCustomerRequest get;
  customerspb::GetCustomerResponse got;
  get.set_id(eda::NewUuid());
  s = Call(&customerspb::CustomersService::Stub::GetCustomer, get, &got);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("not found"));
  get.set_id("not-a-uuid");
  s = Call(&customerspb::CustomersService::Stub::GetCustomer, get, &got);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the customer id must be a UUID");
  customerspb::DisableCustomerRequest disable;
  disable.set_id(eda::NewUuid());
  customerspb::DisableCustomerResponse disabled;
  EXPECT_EQ(
      Call(&customerspb::CustomersService::Stub::DisableCustomer, disable, &disabled).error_code(),
      grpc::NOT_FOUND);
  const std::string after = Register("After", "555-0111");
  ASSERT_TRUE(
      WaitForEvent<customerspb::CustomerRegistered>("customersapi.CustomerRegistered", after));
  EXPECT_EQ(Messages("CUSTOMERS", kEvents).size(), events_before + 1);
}

TEST_F(CustomersServiceTest, AuthorizeCommandGetsOneReplyPerCommand) {
  const std::string ok_id = Register("Eve", "555-0103");
  const std::string disabled_id = Register("Fay", "555-0104");
  customerspb::DisableCustomerRequest disable;
  disable.set_id(disabled_id);
  customerspb::DisableCustomerResponse disabled;
  ASSERT_TRUE(Call(&customerspb::CustomersService::Stub::DisableCustomer, disable, &disabled).ok());

  const std::string tag = eda::RandomHex(4);
  const std::string duplicates =
      "messaging_consumer_duplicates_total{consumer=\"customer-commands\","
      "name=\"customersapi.AuthorizeCustomer\"}";
  const double duplicates_before = service_->Metric(duplicates);
  auto send = [&](const std::string& customer, const std::string& saga, const std::string& msg_id,
                  const std::string& nats_id) {
    customerspb::AuthorizeCustomer cmd;
    cmd.set_id(customer);
    messaging::Message m{.id = msg_id,
                         .name = "customersapi.AuthorizeCustomer",
                         .subject = "mallbots.customers.commands",
                         .payload = cmd.SerializeAsString()};
    m.metadata = {{messaging::kCommandReplyChannel, kReplies},
                  {messaging::kCommandSagaId, saga},
                  {messaging::kCommandSagaName, "cosec.CreateOrder"}};
    EXPECT_TRUE(testing::PublishRaw(*nats_, m.subject, messaging::EncodeEnvelope(m),
                                    {{"Nats-Msg-Id", nats_id}})
                    .ok());
  };
  const std::string first = eda::NewUuid();
  send(ok_id, "saga-ok-" + tag, first, first);
  send(disabled_id, "saga-disabled-" + tag, eda::NewUuid(), eda::NewUuid());
  send(eda::NewUuid(), "saga-unknown-" + tag, eda::NewUuid(), eda::NewUuid());
  send(ok_id, "saga-ok-" + tag, first, first + "-redelivered");  // the same command again

  std::map<std::string, std::vector<messaging::Message>> by_saga;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        by_saga.clear();
        for (const messaging::Message& r : Messages("COSEC_REPLIES", kReplies)) {
          auto saga = r.metadata.find("REPLY_SAGA_ID");
          if (saga != r.metadata.end() && absl::EndsWith(saga->second, tag)) {
            by_saga[saga->second].push_back(r);
          }
        }
        return by_saga.size() == 3;
      },
      absl::Seconds(15)));
  // The command sent twice was recognised as handled before: acked, without a second reply.
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return service_->Metric(duplicates) >= duplicates_before + 1; }, absl::Seconds(15)))
      << service_->LogTail();
  by_saga.clear();
  for (const messaging::Message& r : Messages("COSEC_REPLIES", kReplies)) {
    auto saga = r.metadata.find("REPLY_SAGA_ID");
    if (saga != r.metadata.end() && absl::EndsWith(saga->second, tag)) {
      by_saga[saga->second].push_back(r);
    }
  }
  ASSERT_EQ(by_saga["saga-ok-" + tag].size(), 1u);
  const messaging::Message& ok = by_saga["saga-ok-" + tag][0];
  EXPECT_EQ(ok.name, "am.Success");
  EXPECT_EQ(ok.metadata.at("REPLY_OUTCOME"), "SUCCESS");
  EXPECT_EQ(ok.metadata.at("REPLY_SAGA_NAME"), "cosec.CreateOrder");
  EXPECT_EQ(ok.metadata.at("REPLY_REPLY_CHANNEL"), kReplies);
  ASSERT_EQ(by_saga["saga-disabled-" + tag].size(), 1u);
  EXPECT_EQ(by_saga["saga-disabled-" + tag][0].name, "am.Failure");
  EXPECT_EQ(by_saga["saga-disabled-" + tag][0].metadata.at("REPLY_OUTCOME"), "FAILURE");
  ASSERT_EQ(by_saga["saga-unknown-" + tag].size(), 1u);
  EXPECT_EQ(by_saga["saga-unknown-" + tag][0].name, "am.Failure");
}

TEST_F(CustomersServiceTest, ACommandAskingForAReplyOnAnEventSubjectIsDeadLettered) {
  // Whoever may send commands must not make the service publish into its own event subject.
  const std::string customer = Register("Gus", "555-0112");
  customerspb::AuthorizeCustomer cmd;
  cmd.set_id(customer);
  messaging::Message m{.id = eda::NewUuid(),
                       .name = "customersapi.AuthorizeCustomer",
                       .subject = "mallbots.customers.commands",
                       .payload = cmd.SerializeAsString()};
  m.metadata = {{messaging::kCommandReplyChannel, kEvents},
                {messaging::kCommandSagaId, "forger"},
                {messaging::kCommandSagaName, "cosec.CreateOrder"}};
  ASSERT_TRUE(
      testing::PublishRaw(*nats_, m.subject, messaging::EncodeEnvelope(m), {{"Nats-Msg-Id", m.id}})
          .ok());
  const std::string dead_subject = "mallbots.deadletter.customers.customer-commands";
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (const messaging::Message& d : Messages("DEADLETTER", dead_subject)) {
          if (d.id == m.id) return true;
        }
        return false;
      },
      absl::Seconds(15)))
      << service_->LogTail();
  EXPECT_THAT(service_->LogTail(),
              HasSubstr("asks for its reply on 'mallbots.customers.events.Customer', which is "
                        "not a reply channel of customers (mallbots.cosec.replies.CreateOrder)"));
  for (const messaging::Message& e : Messages("CUSTOMERS", kEvents)) {
    EXPECT_EQ(e.metadata.count("REPLY_SAGA_ID"), 0u) << e.name << " " << e.id;
  }
}

TEST_F(CustomersServiceTest, ServesHealthMetricsAndReadiness) {
  Register("Mo", "555-0105");  // a call of its own to count (whatever ran before)
  httplib::Client ops("127.0.0.1", service_->http_port());
  auto metrics = ops.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("customers_registered_count"));
  EXPECT_THAT(metrics->body, HasSubstr("grpc_server_handled_total"));
  EXPECT_EQ(ops.Get("/healthz")->status, 200);
}

}  // namespace
}  // namespace customers
