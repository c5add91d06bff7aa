#include <algorithm>
#include <fstream>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/streams.h"
#include "libs/testing/harness.h"

namespace eda::messaging {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
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

TEST(TopologyTest, SubscriberDurablesAreProvisionedByTheStreamsOwner) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/topology.conf";
  std::ofstream(path) << "stream     ordering ORDERING mallbots.ordering.events.>\n"
                      << "consume    payments payment-orders ORDERING mallbots.ordering.events.>\n"
                      << "subscriber analytics analytics-orders ORDERING "
                         "mallbots.ordering.events.Order  # a comment\n";
  absl::StatusOr<Topology> topology = Topology::Load(path);
  ASSERT_TRUE(topology.ok()) << topology.status();
  ASSERT_EQ(topology->subscribers.size(), 1u);
  EXPECT_EQ(topology->subscribers[0].name, "analytics");
  std::vector<ConsumerSpec> durables = topology->SubscriberDurablesOn("ordering");
  ASSERT_EQ(durables.size(), 1u);
  EXPECT_EQ(durables[0].durable, "analytics-orders");
  EXPECT_EQ(durables[0].stream, "ORDERING");
  EXPECT_EQ(durables[0].filter_subject, "mallbots.ordering.events.Order");
  EXPECT_THAT(topology->SubscriberDurablesOn("payments"), IsEmpty());
  EXPECT_THAT(topology->ConsumersOf("analytics"), IsEmpty());  // no service of its own
}

TEST(TopologyTest, BadSubscriberLinesNameTheLineAndTheProblem) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/topology.conf";
  const std::string head =
      "stream ordering ORDERING mallbots.ordering.events.>\n"
      "stream * DEADLETTER mallbots.deadletter.>\n"
      "consume payments payment-orders ORDERING mallbots.ordering.events.>\n";
  for (const auto& [line, problem] : std::vector<std::pair<std::string, std::string>>{
           {"subscriber a a-orders NOPE mallbots.ordering.events.Order", "NOPE is no stream"},
           {"subscriber a a-dead DEADLETTER mallbots.deadletter.>", "DEADLETTER is no stream"},
           {"subscriber a a-orders ORDERING mallbots.stores.events.Store",
            "mallbots.stores.events.Store is not a subject of ORDERING"},
           {"subscriber a payment-orders ORDERING mallbots.ordering.events.Order",
            "durable payment-orders on ORDERING is taken"},
           {"subscriber payments p ORDERING mallbots.ordering.events.Order", "a service's"},
           {"subscriber admin p ORDERING mallbots.ordering.events.Order", "a service's"},
           {"subscriber a payment-orders-rebuild ORDERING mallbots.ordering.events.Order",
            "durable payment-orders-rebuild on ORDERING is taken"},
           {"subscriber a.b a-orders ORDERING mallbots.ordering.events.Order",
            "'a.b' is not made of letters, digits, - and _"},
           {"subscriber a a.* ORDERING mallbots.ordering.events.Order", "'a.*' is not made of"},
           {"subscriber a a-orders ORDERING", "cannot parse"}}) {
    std::ofstream(path) << head << line << "\n";
    absl::StatusOr<Topology> topology = Topology::Load(path);
    ASSERT_FALSE(topology.ok()) << line;
    EXPECT_THAT(topology.status().message(), HasSubstr(":4: ")) << line;
    EXPECT_THAT(topology.status().message(), HasSubstr(problem)) << line;
  }
}

TEST(TopologyTest, StreamOptionsGiveRetentionLimits) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/topology.conf";
  std::ofstream(path) << "stream a A a.events.>\n"
                      << "stream a A_COMMANDS a.commands a.more max_age=168h max_bytes=1GiB "
                         "discard=new\n"
                      << "stream * DEAD dead.> max_age=30m max_bytes=512\n";
  absl::StatusOr<Topology> topology = Topology::Load(path);
  ASSERT_TRUE(topology.ok()) << topology.status();
  const std::vector<StreamSpec> own = topology->StreamsOwnedBy("a");
  ASSERT_EQ(own.size(), 2u);
  EXPECT_EQ(own[0].max_age, absl::ZeroDuration());
  EXPECT_EQ(own[0].max_bytes, 0);
  EXPECT_FALSE(own[0].discard_new);
  EXPECT_THAT(own[1].subjects, ElementsAre("a.commands", "a.more"));
  EXPECT_EQ(own[1].max_age, absl::Hours(168));
  EXPECT_EQ(own[1].max_bytes, int64_t{1} << 30);
  EXPECT_TRUE(own[1].discard_new);
  const std::vector<StreamSpec> shared = topology->SharedStreams();
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared[0].name, "DEAD");
  EXPECT_EQ(shared[0].max_age, absl::Minutes(30));
  EXPECT_EQ(shared[0].max_bytes, 512);
  EXPECT_FALSE(shared[0].discard_new);
}

TEST(TopologyTest, WithoutASharedStreamTheDeadLetterStreamIsTheDefault) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/topology.conf";
  std::ofstream(path) << "stream a A a.>\n";
  absl::StatusOr<Topology> topology = Topology::Load(path);
  ASSERT_TRUE(topology.ok()) << topology.status();
  ASSERT_EQ(topology->SharedStreams().size(), 1u);
  EXPECT_EQ(topology->SharedStreams()[0].name, DeadLetterStream().name);
}

TEST(TopologyTest, BadStreamOptionsNameTheLine) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/topology.conf";
  for (const auto& [line, problem] : std::vector<std::pair<std::string, std::string>>{
           {"stream a A a.> max_age=soon", "bad value in stream option 'max_age=soon'"},
           {"stream a A a.> max_age=-1h", "bad value in stream option 'max_age=-1h'"},
           {"stream a A a.> max_bytes=1XB", "bad value in stream option 'max_bytes=1XB'"},
           {"stream a A a.> max_bytes=99999999999TiB", "bad value in stream option"},
           {"stream a A a.> discard=maybe", "bad value in stream option 'discard=maybe'"},
           {"stream a A a.> replicas=3", "unknown stream option 'replicas=3'"},
           {"stream a A max_age=1h", "stream A has no subjects"}}) {
    std::ofstream(path) << "# limits\n" << line << "\n";
    absl::StatusOr<Topology> topology = Topology::Load(path);
    EXPECT_EQ(topology.status().code(), absl::StatusCode::kInvalidArgument) << line;
    EXPECT_THAT(topology.status().message(), HasSubstr(path + ":2: " + problem)) << line;
  }
}

// The repository's topology: event streams keep everything (read models are rebuilt from them);
// commands, replies and dead letters are bounded, refusing new messages when full.
TEST(TopologyTest, TheSystemsCommandReplyAndDeadLetterStreamsAreBounded) {
  absl::StatusOr<Topology> topology =
      Topology::Load(testing::SourceDir() + "/deploy/topology.conf");
  ASSERT_TRUE(topology.ok()) << topology.status();
  int bounded = 0;
  std::vector<Topology::Stream> all = topology->streams;
  if (topology->StreamsOwnedBy(Topology::kShared).empty()) {
    all.push_back({Topology::kShared, DeadLetterStream()});
  }
  for (const Topology::Stream& stream : all) {
    const StreamSpec& s = stream.spec;
    const bool events = std::all_of(s.subjects.begin(), s.subjects.end(), [](const auto& subject) {
      return subject.find(".events.") != std::string::npos;
    });
    if (events) {
      EXPECT_EQ(s.max_age, absl::ZeroDuration()) << s.name;
      EXPECT_EQ(s.max_bytes, 0) << s.name;
    } else {
      ++bounded;
      EXPECT_GT(s.max_age, absl::ZeroDuration()) << s.name;
      EXPECT_GT(s.max_bytes, 0) << s.name;
      EXPECT_TRUE(s.discard_new) << s.name;
    }
  }
  EXPECT_GE(bounded, 6);  // four command streams, the replies, the dead letters
}

}  // namespace
}  // namespace eda::messaging
