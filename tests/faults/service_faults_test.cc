// Service processes killed with SIGKILL in the middle of their work, under a steady stream of
// commands or events: every command still gets exactly one reply, every event has its effect
// exactly once, and nothing is dead-lettered.
//
// Each service that handles commands adds a row to CommandHandlers() (its binary's variable, the
// subject its commands arrive on, and a command it answers, with success or failure); each that
// consumes events adds a row to EventConsumers() (an event whose effects add up, and the query
// that reads the sum); and its binary to this test's CMake properties.
#include <atomic>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/streams.h"
#include "libs/pg/connection.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/payments/payments_api.pb.h"
#include "proto/stores/stores_api.pb.h"

namespace eda {
namespace {

constexpr char kReplies[] = "mallbots.cosec.replies.CreateOrder";

struct CommandHandlerCase {
  std::string service;     // its name in the topology
  std::string binary_env;  // the variable ctest sets to its binary
  std::string durable;     // the durable its commands arrive through
  std::string subject;
  std::string name;
  std::function<std::string()> payload;  // a command it answers (success or failure)
  std::vector<std::string> args = {};    // e.g. the peers it needs to start (never called here)
};

void PrintTo(const CommandHandlerCase& c, std::ostream* os) { *os << c.service; }

const std::vector<CommandHandlerCase>& CommandHandlers() {
  static const auto* cases = new std::vector<CommandHandlerCase>{
      {"customers", "CUSTOMERS_BIN", "customer-commands", "mallbots.customers.commands",
       "customersapi.AuthorizeCustomer",
       [] {
         customerspb::AuthorizeCustomer cmd;
         cmd.set_id(NewUuid());  // unknown: answered with am.Failure
         return cmd.SerializeAsString();
       }},
      {"ordering", "ORDERING_BIN", "ordering-commands", "mallbots.ordering.commands",
       "ordersapi.RejectOrder",
       [] {
         orderingpb::RejectOrder cmd;
         cmd.set_id(NewUuid());  // unknown: answered with am.Failure
         return cmd.SerializeAsString();
       }},
      {"payments", "PAYMENTS_BIN", "payment-commands", "mallbots.payments.commands",
       "paymentsapi.ConfirmPayment",
       [] {
         paymentspb::ConfirmPayment cmd;
         cmd.set_id(NewUuid());  // unknown: answered with am.Failure
         cmd.set_amount(1);
         return cmd.SerializeAsString();
       }},
      {"depot",
       "DEPOT_BIN",
       "depot-commands",
       "mallbots.depot.commands",
       "depotapi.InitiateShoppingCommand",
       [] {
         depotpb::InitiateShopping cmd;
         cmd.set_id(NewUuid());  // unknown: answered with am.Failure
         return cmd.SerializeAsString();
       },
       {"--rpc-services=STORES=127.0.0.1:1"}},
  };
  return *cases;
}

class ServiceKilledTest : public ::testing::TestWithParam<CommandHandlerCase> {};

TEST_P(ServiceKilledTest, EveryCommandGetsOneReplyThroughAKillMidBatch) {
  const CommandHandlerCase& c = GetParam();
  auto service = testing::ServiceUnderTest::Start(c.binary_env, c.service, c.args);
  ASSERT_TRUE(service.ok()) << service.status();
  auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
  ASSERT_TRUE(nats.ok()) << nats.status();
  // The saga's stream, which takes the replies (no cosec runs here).
  ASSERT_TRUE(messaging::EnsureStream((*nats)->js(), {.name = "COSEC_REPLIES",
                                                      .subjects = {"mallbots.cosec.replies.>"}})
                  .ok());
  const std::string tag = RandomHex(4);
  const std::string dead_subject = absl::StrCat("mallbots.deadletter.", c.service, ".", c.durable);
  auto count = [&](const std::string& stream, const std::string& subject, bool sagas) {
    auto messages = testing::StreamMessages(**nats, stream, subject);
    std::map<std::string, int> per_saga;
    if (!messages.ok()) return per_saga;
    for (const messaging::Message& m : *messages) {
      auto saga = m.metadata.find(sagas ? "REPLY_SAGA_ID" : "COMMAND_SAGA_ID");
      if (saga != m.metadata.end() && absl::StartsWith(saga->second, tag)) ++per_saga[saga->second];
    }
    return per_saga;
  };

  std::atomic<int> sent{0};
  std::jthread sender([&](std::stop_token token) {
    while (!token.stop_requested()) {
      messaging::Message m{
          .id = NewUuid(), .name = c.name, .subject = c.subject, .payload = c.payload()};
      m.metadata = {{messaging::kCommandReplyChannel, kReplies},
                    {messaging::kCommandSagaId, absl::StrCat(tag, "-", sent.load())},
                    {messaging::kCommandSagaName, "cosec.CreateOrder"}};
      if (testing::PublishRaw(**nats, m.subject, messaging::EncodeEnvelope(m),
                              {{"Nats-Msg-Id", m.id}})
              .ok()) {
        ++sent;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return count("COSEC_REPLIES", kReplies, true).size() >= 50; }, absl::Seconds(20)))
      << (*service)->LogTail();
  ASSERT_TRUE((*service)->Restart(SIGKILL).ok()) << (*service)->LogTail();
  absl::SleepFor(absl::Seconds(1));
  sender.request_stop();
  sender.join();
  std::map<std::string, int> replies;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        replies = count("COSEC_REPLIES", kReplies, true);
        return static_cast<int>(replies.size()) >= sent.load();
      },
      absl::Seconds(60)))
      << replies.size() << " of " << sent.load() << "\n"
      << (*service)->LogTail();
  int duplicated = 0;
  for (const auto& [saga, n] : replies) duplicated += n - 1;
  const int lost = sent.load() - static_cast<int>(replies.size());
  const size_t dead = count("DEADLETTER", dead_subject, false).size();
  std::printf("%s killed: %d commands, %d without a reply, %d extra replies, %zu dead letters\n",
              c.service.c_str(), sent.load(), lost, duplicated, dead);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(dead, 0u);
}

INSTANTIATE_TEST_SUITE_P(CommandHandlers, ServiceKilledTest, ::testing::ValuesIn(CommandHandlers()),
                         [](const auto& param_info) { return param_info.param.service; });

struct EventConsumerCase {
  std::string service;
  std::string binary_env;
  std::vector<std::string> args;  // e.g. the peers it needs to start (never called here)
  std::string durable;
  messaging::StreamSpec stream;  // the producer's stream (its service does not run here)
  std::string subject;
  // The first event about aggregate `id` (sequence 1), then the n-th of the events that each
  // add one to the sum (sequence n + 1).
  std::function<messaging::Message(const std::string& id)> first;
  std::function<messaging::Message(const std::string& id)> next;
  // SQL reading the sum for aggregate $1 in the service's database.
  std::string sum;
};

void PrintTo(const EventConsumerCase& c, std::ostream* os) { *os << c.service; }

const std::vector<EventConsumerCase>& EventConsumers() {
  static const auto* cases = new std::vector<EventConsumerCase>{
      {"baskets",
       "BASKETS_BIN",
       {"--rpc-services=STORES=127.0.0.1:1"},
       "baskets-products",
       {.name = "STORES", .subjects = {"mallbots.stores.events.>"}},
       "mallbots.stores.events.Product",
       [](const std::string& id) {
         storespb::ProductAdded e;
         e.set_id(id);
         e.set_store_id(NewUuid());
         e.set_name("Counter");
         return messaging::Message{.name = "storesapi.ProductAdded",
                                   .payload = e.SerializeAsString()};
       },
       [](const std::string& id) {
         storespb::ProductPriceChanged e;
         e.set_id(id);
         e.set_delta(1);
         return messaging::Message{.name = "storesapi.ProductPriceIncreased",
                                   .payload = e.SerializeAsString()};
       },
       "SELECT price::bigint FROM products_cache WHERE id = $1"},
  };
  return *cases;
}

class ConsumerKilledTest : public ::testing::TestWithParam<EventConsumerCase> {};

TEST_P(ConsumerKilledTest, EveryEventHasItsEffectOnceThroughAKillMidBatch) {
  const EventConsumerCase& c = GetParam();
  auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
  ASSERT_TRUE(nats.ok()) << nats.status();
  ASSERT_TRUE(messaging::EnsureStream((*nats)->js(), c.stream).ok());
  auto service = testing::ServiceUnderTest::Start(c.binary_env, c.service, c.args);
  ASSERT_TRUE(service.ok()) << service.status();
  const std::string id = NewUuid();
  std::atomic<int> sent{0};
  auto publish = [&](messaging::Message m, int seq) {
    m.id = NewUuid();
    m.subject = c.subject;
    m.occurred_at = absl::Now();
    return testing::PublishRaw(**nats, m.subject, messaging::EncodeEnvelope(m),
                               {{"Nats-Msg-Id", m.id},
                                {messaging::kAggregateIdHeader, id},
                                {messaging::kAggregateSeqHeader, absl::StrCat(seq)}});
  };
  ASSERT_TRUE(publish(c.first(id), 1).ok());
  std::jthread sender([&](std::stop_token token) {
    while (!token.stop_requested()) {
      if (publish(c.next(id), sent.load() + 2).ok()) ++sent;
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  auto sum = [&]() -> int64_t {
    auto conn = pg::Connection::Open((*service)->dsn());
    if (!conn.ok()) return -1;
    auto r = conn->Exec(c.sum, {id});
    return r.ok() && r->rows() == 1 ? r->Int(0, 0).value_or(-1) : -1;
  };
  ASSERT_TRUE(testing::WaitUntil([&] { return sum() >= 50; }, absl::Seconds(20)))
      << (*service)->LogTail();
  ASSERT_TRUE((*service)->Restart(SIGKILL).ok()) << (*service)->LogTail();
  absl::SleepFor(absl::Seconds(1));
  sender.request_stop();
  sender.join();
  int64_t applied = 0;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        applied = sum();
        return applied >= sent.load();
      },
      absl::Seconds(60)))
      << applied << " of " << sent.load() << "\n"
      << (*service)->LogTail();
  absl::SleepFor(absl::Milliseconds(500));  // a duplicate would land by now: it is in the batch
  applied = sum();
  const std::string dead_subject = absl::StrCat("mallbots.deadletter.", c.service, ".", c.durable);
  auto dead = testing::StreamMessages(**nats, "DEADLETTER", dead_subject);
  size_t dead_for_us = 0;
  if (dead.ok()) {
    for (const messaging::Message& m : *dead) dead_for_us += absl::StrContains(m.payload, id);
  }
  std::printf("%s killed: %d events, %lld applied, %zu dead letters\n", c.service.c_str(),
              sent.load(), static_cast<long long>(applied), dead_for_us);
  EXPECT_EQ(applied, sent.load());
  EXPECT_EQ(dead_for_us, 0u);
}

INSTANTIATE_TEST_SUITE_P(EventConsumers, ConsumerKilledTest, ::testing::ValuesIn(EventConsumers()),
                         [](const auto& param_info) { return param_info.param.service; });

}  // namespace
}  // namespace eda
