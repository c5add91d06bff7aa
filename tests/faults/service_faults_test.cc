// Service processes killed with SIGKILL in the middle of their work, under a steady stream of
// commands or events: every command still gets exactly one reply, every event has its effect
// exactly once, and nothing is dead-lettered.
//
// Each service that handles commands adds a row to CommandHandlers() (its binary's variable, the
// subject its commands arrive on, and a command it answers, with success or failure); each that
// consumes events adds a row to EventConsumers() (an event whose effects add up, and the query
// that reads the sum); and its binary to this test's CMake properties. The saga's coordinator
// (cosec) has a test of its own: every saga still finishes, each of its commands sent once.
#include <atomic>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/streams.h"
#include "libs/outbox/commands.h"
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
  // SQL run first in the service's database with $1 = the aggregate id (e.g. a cache row that
  // spares a peer call); empty: none.
  std::string setup = "";
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
      // A notice per order created for customer `id` (an approval gives none).
      {"notifications",
       "NOTIFICATIONS_BIN",
       {"--rpc-services=CUSTOMERS=127.0.0.1:1"},
       "notification-orders",
       {.name = "ORDERING", .subjects = {"mallbots.ordering.events.>"}},
       "mallbots.ordering.events.Order",
       [](const std::string& id) {
         orderingpb::OrderApproved e;
         e.set_id(NewUuid());
         e.set_customer_id(id);
         return messaging::Message{.name = "ordersapi.OrderApproved",
                                   .payload = e.SerializeAsString()};
       },
       [](const std::string& id) {
         orderingpb::OrderCreated e;
         e.set_id(NewUuid());
         e.set_customer_id(id);
         return messaging::Message{.name = "ordersapi.OrderCreated",
                                   .payload = e.SerializeAsString()};
       },
       "SELECT count(*) FROM notifications WHERE customer_id = $1",
       "INSERT INTO customers_cache (id, name, sms_number) VALUES ($1, 'Fay', '555-0100')"},
      // An order in the read model per OrderCreated of customer `id`.
      {"search",
       "SEARCH_BIN",
       {"--rpc-services=CUSTOMERS=127.0.0.1:1,STORES=127.0.0.1:1"},
       "search-orders",
       {.name = "ORDERING", .subjects = {"mallbots.ordering.events.>"}},
       "mallbots.ordering.events.Order",
       [](const std::string&) {
         orderingpb::OrderApproved e;
         e.set_id(NewUuid());
         return messaging::Message{.name = "ordersapi.OrderApproved",
                                   .payload = e.SerializeAsString()};
       },
       [](const std::string& id) {
         orderingpb::OrderCreated e;
         e.set_id(NewUuid());
         e.set_customer_id(id);
         return messaging::Message{.name = "ordersapi.OrderCreated",
                                   .payload = e.SerializeAsString()};
       },
       "SELECT count(*) FROM orders WHERE customer_id = $1",
       "INSERT INTO customers_cache (id, name) VALUES ($1, 'Gus')"},
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
  if (!c.setup.empty()) {
    auto conn = pg::Connection::Open((*service)->dsn());
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE(conn->Exec(c.setup, {id}).ok());
  }
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

// cosec killed in the middle of sagas: the test plays every participant (answers each command
// once, as the command adapter does) while orders keep coming. Every saga completes, and each
// step's command was sent exactly once: the saga's state and its next command are committed
// together, and a redelivered reply finds the step already moved on.
TEST(SagaCoordinatorKilledTest, EverySagaCompletesWithEachCommandOnceThroughAKillMidBatch) {
  auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
  ASSERT_TRUE(nats.ok()) << nats.status();
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"CUSTOMERS_COMMANDS", "mallbots.customers.commands"},
      {"DEPOT_COMMANDS", "mallbots.depot.commands"},
      {"PAYMENTS_COMMANDS", "mallbots.payments.commands"},
      {"ORDERING_COMMANDS", "mallbots.ordering.commands"}};
  ASSERT_TRUE(messaging::EnsureStream(
                  (*nats)->js(), {.name = "ORDERING", .subjects = {"mallbots.ordering.events.>"}})
                  .ok());
  for (const auto& [stream, subject] : commands) {
    ASSERT_TRUE(
        messaging::EnsureStream((*nats)->js(), {.name = stream, .subjects = {subject}}).ok());
  }
  auto cosec = testing::ServiceUnderTest::Start("COSEC_BIN", "cosec");
  ASSERT_TRUE(cosec.ok()) << cosec.status();
  const std::string tag = RandomHex(4);
  auto publish = [&](const messaging::Message& m) {
    return testing::PublishRaw(**nats, m.subject, messaging::EncodeEnvelope(m),
                               {{"Nats-Msg-Id", m.id}});
  };

  // The participants: each command of ours answered once, success.
  std::set<std::string> answered;
  std::map<std::string, std::map<std::string, int>> sent_per_saga;  // saga -> name -> count
  auto answer = [&] {
    sent_per_saga.clear();
    for (const auto& [stream, subject] : commands) {
      auto messages = testing::StreamMessages(**nats, stream, subject);
      if (!messages.ok()) continue;
      for (const messaging::Message& c : *messages) {
        auto saga = c.metadata.find(messaging::kCommandSagaId);
        if (saga == c.metadata.end() || !absl::StartsWith(saga->second, tag)) continue;
        ++sent_per_saga[saga->second][c.name];
        if (!answered.insert(c.id).second) continue;
        std::optional<outbox::Reply> reply;
        if (c.name == "depotapi.CreateShoppingListCommand") {
          depotpb::CreatedShoppingList created;
          created.set_id(NewUuid());
          reply = outbox::Reply{"depotapi.CreatedShoppingListReply", created.SerializeAsString()};
        }
        const messaging::Message r = outbox::ReplyTo(c, absl::OkStatus(), reply);
        if (!publish(r).ok()) answered.erase(c.id);
      }
    }
  };
  auto completed = [&]() -> int64_t {
    auto conn = pg::Connection::Open((*cosec)->dsn());
    if (!conn.ok()) return -1;
    auto r =
        conn->Exec("SELECT count(*) FROM saga_instances WHERE status = 'completed' AND id LIKE $1",
                   {tag + "%"});
    return r.ok() ? r->Int(0, 0).value_or(-1) : -1;
  };

  std::atomic<int> orders{0};
  std::jthread customers([&](std::stop_token token) {
    while (!token.stop_requested() && orders.load() < 60) {
      orderingpb::OrderCreated created;
      created.set_id(absl::StrCat(tag, "-", orders.load()));
      created.set_customer_id(NewUuid());
      created.set_payment_id(NewUuid());
      auto* item = created.add_items();
      item->set_product_id(NewUuid());
      item->set_store_id(NewUuid());
      item->set_price(1);
      item->set_quantity(1);
      if (publish({.id = NewUuid(),
                   .name = "ordersapi.OrderCreated",
                   .subject = "mallbots.ordering.events.Order",
                   .payload = created.SerializeAsString(),
                   .occurred_at = absl::Now()})
              .ok()) {
        ++orders;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        answer();
        return completed() >= 10;
      },
      absl::Seconds(20)))
      << (*cosec)->LogTail();
  const int64_t in_flight = orders.load() - completed();  // sagas the kill interrupts
  ASSERT_TRUE((*cosec)->Restart(SIGKILL).ok()) << (*cosec)->LogTail();
  customers.join();
  EXPECT_GT(in_flight, 0);
  // Replies the killed process had fetched come back after the 30 s ack wait.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        answer();
        return completed() >= orders.load();
      },
      absl::Seconds(90)))
      << completed() << " of " << orders.load() << " sagas completed\n"
      << (*cosec)->LogTail();
  answer();
  int repeated = 0;
  for (const auto& [saga, names] : sent_per_saga) {
    for (const auto& [name, n] : names) repeated += n - 1;
    EXPECT_EQ(names.size(), 5u) << saga;
  }
  std::printf("cosec killed: %d sagas, %lld completed, %d commands sent twice\n", orders.load(),
              static_cast<long long>(completed()), repeated);
  EXPECT_EQ(repeated, 0);
  EXPECT_EQ(static_cast<int>(sent_per_saga.size()), orders.load());
}

}  // namespace
}  // namespace eda
