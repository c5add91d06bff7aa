#include "libs/service/peers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eda::service {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(RpcServicesTest, ParsesNamesCaseInsensitively) {
  auto peers = ParseRpcServices("STORES=stores:9000, customers=10.0.0.7:9001");
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_THAT(*peers,
              ElementsAre(Pair("customers", "10.0.0.7:9001"), Pair("stores", "stores:9000")));
  EXPECT_TRUE(ParseRpcServices("")->empty());
}

TEST(RpcServicesTest, MalformedEntriesAreNamed) {
  EXPECT_EQ(ParseRpcServices("STORES").status().message(),
            "RPC_SERVICES: 'STORES' is not NAME=host:port");
  EXPECT_EQ(ParseRpcServices("STORES=stores").status().message(),
            "RPC_SERVICES: 'STORES=stores' is not NAME=host:port");
  EXPECT_EQ(ParseRpcServices("STORES=stores:x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRpcServices("=stores:1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRpcServices("STORES=a:1,stores=b:2").status().message(),
            "RPC_SERVICES: stores is given twice");
}

}  // namespace
}  // namespace eda::service
