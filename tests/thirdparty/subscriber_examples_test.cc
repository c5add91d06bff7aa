// The subscriber examples (examples/subscribers: Go with Debian's nats.go and protobuf packages,
// Node.js with nats.js and protobufjs), each through its subscriber account of
// deploy/topology.conf, follow one order from checkout to completed and paid, with a restart in
// the middle: every event of the order is processed exactly once across the runs, the durables
// are left with nothing to deliver, and a run after the end processes nothing.
#include <nats/nats.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/status_macros.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "tools/shopper/shopper.h"

namespace {

namespace testing = ::eda::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class SubscriberExamplesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stores_ = Start("STORES_BIN", "stores");
    customers_ = Start("CUSTOMERS_BIN", "customers");
    const std::string peers = "--rpc-services=STORES=" + stores_->grpc_target();
    baskets_ = Start("BASKETS_BIN", "baskets", {peers});
    ordering_ = Start("ORDERING_BIN", "ordering");
    payments_ = Start("PAYMENTS_BIN", "payments");
    depot_ = Start("DEPOT_BIN", "depot", {peers});
    cosec_ = Start("COSEC_BIN", "cosec");
    mall_ = new mallbots::Mall({.stores = stores_->grpc_target(),
                                .customers = customers_->grpc_target(),
                                .baskets = baskets_->grpc_target(),
                                .ordering = ordering_->grpc_target(),
                                .payments = payments_->grpc_target(),
                                .depot = depot_->grpc_target()});
  }

  static void TearDownTestSuite() {
    delete mall_;
    for (testing::ServiceUnderTest* service : Services()) delete service;
  }

  static std::vector<testing::ServiceUnderTest*> Services() {
    return {stores_, customers_, baskets_, ordering_, payments_, depot_, cosec_};
  }

  static testing::ServiceUnderTest* Start(const std::string& env, const std::string& service,
                                          std::vector<std::string> args = {}) {
    auto started = testing::ServiceUnderTest::Start(env, service, std::move(args));
    EXPECT_TRUE(started.ok()) << service << ": " << started.status();
    return started.ok() ? started->release() : nullptr;
  }

  void SetUp() override {
    for (testing::ServiceUnderTest* service : Services()) ASSERT_NE(service, nullptr);
  }

  // Runs the example (`command` and its arguments) as subscriber `account` with `args`, to its
  // exit (at most 60 s). Returns what it printed; fails the test unless it exited 0.
  std::string RunExample(const std::vector<std::string>& command, const std::string& account,
                         const std::vector<std::string>& args) {
    testing::NatsServer& nats = testing::SharedStackNats();
    std::vector<std::string> argv = {"/usr/bin/env", "NATS_URL=" + nats.url(),
                                     "NATS_USER=" + account,
                                     "NATS_PASSWORD=" + nats.Password(account)};
    argv.insert(argv.end(), command.begin(), command.end());
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = tmp_.path() + "/run-" + std::to_string(++runs_) + ".log";
    auto example = testing::Process::Start(argv, {.log_file = log});
    EXPECT_TRUE(example.ok()) << example.status();
    if (!example.ok()) return "";
    const bool exited =
        testing::WaitUntil([&] { return !(*example)->Running(); }, absl::Seconds(60));
    const int status = exited ? (*example)->Wait() : (*example)->Stop();
    const std::string out = ReadFile(log);
    EXPECT_TRUE(exited) << "still running after 60 s:\n" << out;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << ":\n"
                                                               << out;
    return out;
  }

  // The account's durables as the admin sees them: nothing left to deliver, nothing waiting for
  // an ack.
  static void ExpectDurablesSettled(const std::string& account) {
    auto admin = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(admin.ok()) << admin.status();
    for (const auto& [stream, durable] :
         {std::pair<std::string, std::string>("ORDERING", "-orders"), {"PAYMENTS", "-invoices"}}) {
      jsConsumerInfo* info = nullptr;
      jsErrCode jerr = jsErrCode(0);
      ASSERT_EQ(js_GetConsumerInfo(&info, (*admin)->js(), stream.c_str(),
                                   (account + durable).c_str(), nullptr, &jerr),
                NATS_OK)
          << account << durable;
      EXPECT_EQ(info->NumPending, 0u) << account << durable;
      EXPECT_EQ(info->NumAckPending, 0) << account << durable;
      jsConsumerInfo_Destroy(info);
    }
  }

  // Follows a new order with the example: a first run, started at checkout, stops after two of
  // the order's events while the order goes on; a second one follows it to its end; a third one
  // finds it ended. Checks the journal and that the durables hold nothing more.
  void FollowAnOrderAcrossRestarts(const std::vector<std::string>& command,
                                   const std::string& account) {
    auto store = mall_->OpenStore("Example Books", {2.5, 4});
    ASSERT_TRUE(store.ok()) << store.status();
    auto customer = mall_->RegisterCustomer("Grace");
    ASSERT_TRUE(customer.ok()) << customer.status();
    auto order = mall_->Checkout(*customer, {{store->products[0], 2}});
    ASSERT_TRUE(order.ok()) << order.status();
    const std::string journal = tmp_.path() + "/journal";
    const std::vector<std::string> follow = {"--journal=" + journal, "--order=" + *order};

    // The first run stops after two of the order's events (the durables may also hold the other
    // test's order, before this one); the order goes on meanwhile, to paid and completed.
    std::vector<std::string> first = follow;
    first.push_back("--stop-after=2");
    std::string first_out;
    std::thread first_run([&] { first_out = RunExample(command, account, first); });
    absl::Status completed = [&]() -> absl::Status {
      EDA_RETURN_IF_ERROR(mall_->WaitForOrder(*order, {"approved"}, absl::Seconds(30)).status());
      EDA_RETURN_IF_ERROR(mall_->ShopAsRobot("example-robot"));
      EDA_RETURN_IF_ERROR(mall_->WaitForInvoice(*order, absl::Seconds(30)).status());
      EDA_RETURN_IF_ERROR(mall_->PayInvoice(*order));
      return mall_->WaitForOrder(*order, {"completed"}, absl::Seconds(30)).status();
    }();
    first_run.join();
    ASSERT_TRUE(completed.ok()) << completed;
    EXPECT_THAT(first_out, HasSubstr("stopping after 2 new events")) << first_out;

    const std::string second_out = RunExample(command, account, follow);
    EXPECT_THAT(second_out, HasSubstr("order " + *order + " ended")) << second_out;
    ExpectDurablesSettled(account);
    const std::string third_out = RunExample(command, account, follow);
    EXPECT_THAT(third_out, HasSubstr("order " + *order + " ended (0 new events)")) << third_out;

    // The journal: each message once; the order's events in their order, its invoice paid once.
    std::set<std::string> ids;
    std::vector<std::string> order_events;
    std::vector<std::string> invoice_events;
    for (absl::string_view line : absl::StrSplit(ReadFile(journal), '\n', absl::SkipEmpty())) {
      std::vector<std::string> fields = absl::StrSplit(line, ' ');
      ASSERT_EQ(fields.size(), 3u) << line;
      EXPECT_TRUE(ids.insert(fields[0]).second) << "processed twice: " << line;
      if (fields[2] != *order) continue;
      (fields[1].rfind("ordersapi.", 0) == 0 ? order_events : invoice_events).push_back(fields[1]);
    }
    EXPECT_THAT(order_events, ElementsAre("ordersapi.OrderCreated", "ordersapi.OrderApproved",
                                          "ordersapi.OrderReadied", "ordersapi.OrderCompleted"));
    EXPECT_THAT(invoice_events, ElementsAre("paymentsapi.InvoicePaid"));
  }

  static testing::ServiceUnderTest* stores_;
  static testing::ServiceUnderTest* customers_;
  static testing::ServiceUnderTest* baskets_;
  static testing::ServiceUnderTest* ordering_;
  static testing::ServiceUnderTest* payments_;
  static testing::ServiceUnderTest* depot_;
  static testing::ServiceUnderTest* cosec_;
  static mallbots::Mall* mall_;
  testing::TempDir tmp_{"subscriber"};
  int runs_ = 0;
};

testing::ServiceUnderTest* SubscriberExamplesTest::stores_ = nullptr;
testing::ServiceUnderTest* SubscriberExamplesTest::customers_ = nullptr;
testing::ServiceUnderTest* SubscriberExamplesTest::baskets_ = nullptr;
testing::ServiceUnderTest* SubscriberExamplesTest::ordering_ = nullptr;
testing::ServiceUnderTest* SubscriberExamplesTest::payments_ = nullptr;
testing::ServiceUnderTest* SubscriberExamplesTest::depot_ = nullptr;
testing::ServiceUnderTest* SubscriberExamplesTest::cosec_ = nullptr;
mallbots::Mall* SubscriberExamplesTest::mall_ = nullptr;

TEST_F(SubscriberExamplesTest, TheGoSubscriberFollowsAnOrderAcrossARestart) {
  const char* binary = std::getenv("GO_EXAMPLE_BIN");
  ASSERT_TRUE(binary != nullptr && *binary != '\0' && std::filesystem::exists(binary))
      << "the Go example is not built: its build needs Debian's golang-go (`make deps`)";
  const char* protoset = std::getenv("PROTOSET");
  ASSERT_TRUE(protoset != nullptr) << "PROTOSET names the descriptor set (ctest sets it)";
  FollowAnOrderAcrossRestarts({binary, "--protoset=" + std::string(protoset)}, "example-go");
}

TEST_F(SubscriberExamplesTest, TheNodeSubscriberFollowsAnOrderAcrossARestart) {
  const std::string dir = testing::SourceDir() + "/examples/subscribers/node";
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/nats"))
      << "the npm packages are missing: `make test` installs them (npm ci in " << dir << ")";
  FollowAnOrderAcrossRestarts({"node", dir + "/follow_order.mjs"}, "example-node");
}

}  // namespace
