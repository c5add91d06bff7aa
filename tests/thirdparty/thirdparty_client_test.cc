// Runs the Node.js client tests (@grpc/grpc-js, @grpc/proto-loader, nats.js) against the real
// service binaries, PostgreSQL and nats-server started here as `make up` runs them (the
// nats-server with the stack's users and permissions; the clients read the events as the
// subscriber account example-node): stores_client.test.mjs against stores,
// basket_checkout.test.mjs against stores, baskets and ordering.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"

namespace {

namespace testing = ::eda::testing;

TEST(ThirdPartyClientTest, NodeClientCallsStoresAndReceivesItsEvents) {
  const std::string dir = testing::SourceDir() + "/tests/thirdparty";
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/nats"))
      << "the npm packages are missing: `make test` installs them (npm ci in tests/thirdparty)";
  auto stores = testing::ServiceUnderTest::Start("STORES_BIN", "stores");
  ASSERT_TRUE(stores.ok()) << stores.status();

  testing::TempDir tmp("thirdparty");
  const std::string log = tmp.path() + "/node.log";
  // The client reads the events as a subscriber does: as the account example-node of the
  // topology, through the durable example-node-stores.
  testing::NatsServer& nats = testing::SharedStackNats();
  auto node = testing::Process::Start(
      {"/usr/bin/env", "STORES_ADDR=" + (*stores)->grpc_target(), "NATS_URL=" + nats.url(),
       "NATS_USER=example-node", "NATS_PASSWORD=" + nats.Password("example-node"), "node", "--test",
       "--test-reporter=spec", "--test-timeout=60000", dir + "/stores_client.test.mjs"},
      {.log_file = log});
  ASSERT_TRUE(node.ok()) << node.status();
  const int rc = (*node)->Wait();
  std::ifstream in(log);
  std::stringstream out;
  out << in.rdbuf();
  EXPECT_EQ(rc, 0) << out.str() << "\n--- stores log ---\n" << (*stores)->LogTail();
}

// baskets (calling stores on a catalog miss) and ordering, which turns the checkout into an order.
TEST(ThirdPartyClientTest, NodeClientChecksOutABasketAndSeesTheOrder) {
  const std::string dir = testing::SourceDir() + "/tests/thirdparty";
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/nats"))
      << "the npm packages are missing: `make test` installs them (npm ci in tests/thirdparty)";
  auto stores = testing::ServiceUnderTest::Start("STORES_BIN", "stores");
  ASSERT_TRUE(stores.ok()) << stores.status();
  auto baskets = testing::ServiceUnderTest::Start(
      "BASKETS_BIN", "baskets", {"--rpc-services=STORES=" + (*stores)->grpc_target()});
  ASSERT_TRUE(baskets.ok()) << baskets.status();
  auto ordering = testing::ServiceUnderTest::Start("ORDERING_BIN", "ordering");
  ASSERT_TRUE(ordering.ok()) << ordering.status();

  testing::TempDir tmp("thirdparty");
  const std::string log = tmp.path() + "/node.log";
  testing::NatsServer& nats = testing::SharedStackNats();
  auto node = testing::Process::Start(
      {"/usr/bin/env", "STORES_ADDR=" + (*stores)->grpc_target(),
       "BASKETS_ADDR=" + (*baskets)->grpc_target(), "NATS_URL=" + nats.url(),
       "NATS_USER=example-node", "NATS_PASSWORD=" + nats.Password("example-node"), "node", "--test",
       "--test-reporter=spec", "--test-timeout=60000", dir + "/basket_checkout.test.mjs"},
      {.log_file = log});
  ASSERT_TRUE(node.ok()) << node.status();
  const int rc = (*node)->Wait();
  std::ifstream in(log);
  std::stringstream out;
  out << in.rdbuf();
  EXPECT_EQ(rc, 0) << out.str() << "\n--- baskets log ---\n"
                   << (*baskets)->LogTail() << "\n--- ordering log ---\n"
                   << (*ordering)->LogTail();
}

}  // namespace
