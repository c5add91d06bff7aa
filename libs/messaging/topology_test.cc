#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/streams.h"
#include "libs/testing/harness.h"

namespace eda::messaging {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(TopologyTest, ReplyChannelsAreReplySubjectsAServiceMayPublishOutsideItsOwnStreams) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/topology.conf";
  std::ofstream(path) << "stream  customers CUSTOMERS mallbots.customers.>\n"
                      << "stream  cosec     COSEC     mallbots.cosec.>\n"
                      << "publish customers mallbots.customers.events.Customer\n"
                      << "publish customers mallbots.cosec.replies.CreateOrder\n"
                      << "publish cosec     mallbots.customers.commands\n"
                      << "publish stores    mallbots.stores.events.Store\n";
  absl::StatusOr<Topology> topology = Topology::Load(path);
  ASSERT_TRUE(topology.ok()) << topology.status();
  EXPECT_THAT(topology->ReplyChannelsOf("customers"),
              ElementsAre("mallbots.cosec.replies.CreateOrder"));
  // Commands and events are never reply channels, wherever their streams are.
  EXPECT_THAT(topology->ReplyChannelsOf("cosec"), IsEmpty());
  EXPECT_THAT(topology->ReplyChannelsOf("stores"), IsEmpty());
  EXPECT_THAT(topology->ReplyChannelsOf("nobody"), IsEmpty());
}

}  // namespace
}  // namespace eda::messaging
