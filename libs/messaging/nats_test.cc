#include "libs/messaging/nats.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eda::messaging {
namespace {

using ::testing::HasSubstr;

NatsMsgPtr Reply(const std::string& body) {
  static const bool opened = OpenNatsLibrary().ok();  // the library, without a connection
  EXPECT_TRUE(opened);
  natsMsg* msg = nullptr;
  EXPECT_EQ(
      natsMsg_Create(&msg, "_INBOX.x.1.0", nullptr, body.data(), static_cast<int>(body.size())),
      NATS_OK);
  return NatsMsgPtr(msg);
}

TEST(PubAckStatusTest, StoredAndDuplicateAreOk) {
  EXPECT_TRUE(PubAckStatus(Reply(R"({"stream":"STORES","seq":42})").get()).ok());
  EXPECT_TRUE(PubAckStatus(Reply(R"({"stream":"STORES","seq":42,"duplicate":true})").get()).ok());
  EXPECT_TRUE(PubAckStatus(Reply(R"({"stream":"error","seq":1})").get()).ok());
  EXPECT_TRUE(PubAckStatus(Reply(R"({"seq":7,"stream":"STORES","domain":"hub"})").get()).ok());
}

TEST(PubAckStatusTest, JetStreamErrorIsUnavailableWithItsDescription) {
  absl::Status s = PubAckStatus(
      Reply(R"({"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}})")
          .get());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("maximum messages exceeded"));
  EXPECT_THAT(s.message(), HasSubstr("10077"));
}

TEST(PubAckStatusTest, NoRespondersStatusIsUnavailable) {
  NatsMsgPtr reply = Reply("");
  ASSERT_EQ(natsMsgHeader_Set(reply.get(), "Status", "503"), NATS_OK);
  absl::Status s = PubAckStatus(reply.get());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("no stream takes the subject"));
}

TEST(PubAckStatusTest, UnreadableOrStreamlessReplyIsInternal) {
  EXPECT_EQ(PubAckStatus(Reply("+OK").get()).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(PubAckStatus(Reply(R"({"seq":1})").get()).code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace eda::messaging
