#include "libs/messaging/envelope.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/registry.h"
#include "proto/messaging/message_data.pb.h"
#include "proto/messaging/stream_message.pb.h"

namespace eda::messaging {
namespace {

using ::testing::HasSubstr;

TEST(EnvelopeTest, RoundTripKeepsEveryField) {
  Message m;
  m.id = "6f1c2d3e-0000-4000-8000-000000000001";
  m.name = "storesapi.StoreCreated";
  m.subject = "mallbots.stores.events.Store";
  m.payload = std::string("\x0a\x03s-1", 5);
  m.metadata = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                {kCommandSagaId, "saga-1"}};
  m.sent_at = absl::FromUnixMicros(1'700'000'000'123'456);
  m.occurred_at = absl::FromUnixMicros(1'700'000'000'000'001);
  auto back = DecodeEnvelope(m.subject, EncodeEnvelope(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->name, m.name);
  EXPECT_EQ(back->subject, m.subject);
  EXPECT_EQ(back->payload, m.payload);
  EXPECT_EQ(back->metadata, m.metadata);
  EXPECT_EQ(back->sent_at, m.sent_at);
  EXPECT_EQ(back->occurred_at, m.occurred_at);
}

TEST(EnvelopeTest, WireFormIsTheSpecsStreamMessage) {
  Message m{.id = "id-1", .name = "am.Success", .subject = "mallbots.cosec.replies.CreateOrder"};
  m.metadata["REPLY_OUTCOME"] = "SUCCESS";
  jetstream::StreamMessage envelope;
  ASSERT_TRUE(envelope.ParseFromString(EncodeEnvelope(m)));
  EXPECT_EQ(envelope.id(), "id-1");
  EXPECT_EQ(envelope.name(), "am.Success");
  EXPECT_EQ(envelope.metadata().fields().at("REPLY_OUTCOME").string_value(), "SUCCESS");
  ReplyMessageData data;  // any of the three wrappers reads it
  ASSERT_TRUE(data.ParseFromString(envelope.data()));
  EXPECT_EQ(data.payload(), "");
}

TEST(EnvelopeTest, NonStringMetadataIsRenderedAsText) {
  jetstream::StreamMessage envelope;
  envelope.set_id("x");
  envelope.set_name("n");
  (*envelope.mutable_metadata()->mutable_fields())["count"].set_number_value(3);
  (*envelope.mutable_metadata()->mutable_fields())["flag"].set_bool_value(true);
  auto m = DecodeEnvelope("s", envelope.SerializeAsString());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->metadata["count"], "3");
  EXPECT_EQ(m->metadata["flag"], "true");
}

TEST(EnvelopeTest, GarbageAndMissingFieldsAreInvalidArgument) {
  auto garbage = DecodeEnvelope("mallbots.x", "\xff\xff\xff not protobuf");
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("mallbots.x"));
  jetstream::StreamMessage no_name;
  no_name.set_id("x");
  EXPECT_EQ(DecodeEnvelope("s", no_name.SerializeAsString()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RegistryTest, DecodesByNameAndRejectsUnknownOrBadPayloads) {
  TypeRegistry registry;
  registry.Register<EventMessageData>("test.Wrapped");
  registry.RegisterEmpty("am.Success");
  EventMessageData original;
  original.set_payload("abc");
  auto typed = registry.DecodeAs<EventMessageData>("test.Wrapped", original.SerializeAsString());
  ASSERT_TRUE(typed.ok()) << typed.status();
  EXPECT_EQ(typed->payload(), "abc");
  auto empty = registry.Decode("am.Success", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, nullptr);
  EXPECT_EQ(registry.Decode("test.Unknown", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry.Decode("test.Wrapped", "\xff\xff").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.DecodeAs<ReplyMessageData>("test.Wrapped", "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eda::messaging
