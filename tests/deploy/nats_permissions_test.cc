// The NATS users generated from deploy/topology.conf, checked against a real nats-server: each
// service reaches its own subjects, streams and durables, and is refused everywhere else.
#include <nats/nats.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/c_handle.h"
#include "libs/testing/harness.h"

namespace {

using NatsConnPtr = std::unique_ptr<natsConnection, eda::CFree<&natsConnection_Destroy>>;
using JsCtxPtr = std::unique_ptr<jsCtx, eda::CFree<&jsCtx_Destroy>>;
using NatsOptionsPtr = std::unique_ptr<natsOptions, eda::CFree<&natsOptions_Destroy>>;
using NatsSubPtr = std::unique_ptr<natsSubscription, eda::CFree<&natsSubscription_Destroy>>;

class NatsPermissionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The repository's topology through deploy/local/gen-nats-conf.sh, as `make up` runs it.
    auto server = eda::testing::NatsServer::StartFromTopology();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() { delete server_; }

  static std::string Password(const std::string& user) { return server_->Password(user); }

  // Connects as `user`; services use their own inbox prefix, the admin the default one.
  static natsStatus Connect(const std::string& user, const std::string& password,
                            NatsConnPtr* conn) {
    natsOptions* raw = nullptr;
    natsOptions_Create(&raw);
    NatsOptionsPtr opts(raw);
    natsOptions_SetURL(opts.get(), server_->url().c_str());
    natsOptions_SetUserInfo(opts.get(), user.c_str(), password.c_str());
    natsOptions_SetTimeout(opts.get(), 2000);
    natsOptions_SetMaxReconnect(opts.get(), 0);
    if (user != "admin") {
      natsOptions_SetCustomInboxPrefix(opts.get(), ("_INBOX_" + user).c_str());
    }
    natsConnection* nc = nullptr;
    natsStatus s = natsConnection_Connect(&nc, opts.get());
    conn->reset(nc);
    return s;
  }

  struct Client {
    NatsConnPtr conn;
    JsCtxPtr js;
  };
  static Client As(const std::string& user) {
    Client c;
    natsStatus s = Connect(user, Password(user), &c.conn);
    EXPECT_EQ(s, NATS_OK) << user << ": " << natsStatus_GetText(s);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 1000;  // ms: a refused publish gets no PubAck, only this timeout
    jsCtx* js = nullptr;
    if (c.conn != nullptr) natsConnection_JetStream(&js, c.conn.get(), &jo);
    c.js.reset(js);
    return c;
  }

  static natsStatus AddStream(jsCtx* js, const char* name, const char* subject, jsErrCode* jerr) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    const char* subjects[] = {subject};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsStreamInfo* si = nullptr;
    natsStatus s = js_AddStream(&si, js, &cfg, nullptr, jerr);
    jsStreamInfo_Destroy(si);
    return s;
  }

  static natsStatus AddConsumer(jsCtx* js, const char* stream, const char* durable,
                                const char* filter) {
    jsConsumerConfig cfg;
    jsConsumerConfig_Init(&cfg);
    cfg.Name = durable;  // with Name and a filter, nats.c uses CONSUMER.CREATE.<s>.<name>.<filter>
    cfg.Durable = durable;
    cfg.FilterSubject = filter;
    cfg.AckPolicy = js_AckExplicit;
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddConsumer(&ci, js, stream, &cfg, nullptr, &jerr);
    jsConsumerInfo_Destroy(ci);
    return s;
  }

  static natsStatus Publish(jsCtx* js, const char* subject, const std::string& data,
                            uint64_t* seq = nullptr) {
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s =
        js_Publish(&ack, js, subject, data.data(), static_cast<int>(data.size()), nullptr, &jerr);
    if (s == NATS_OK && seq != nullptr) *seq = ack->Sequence;
    jsPubAck_Destroy(ack);
    return s;
  }

  static uint64_t StreamMessages(const char* stream) {
    Client admin = As("admin");
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, admin.js.get(), stream, nullptr, &jerr);
    EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s);
    uint64_t n = si != nullptr ? si->State.Msgs : ~uint64_t{0};
    jsStreamInfo_Destroy(si);
    return n;
  }

  // The server reported a permissions violation on this connection (an asynchronous -ERR).
  static bool PermissionViolation(natsConnection* nc) {
    const char* text = nullptr;
    return eda::testing::WaitUntil(
        [&] { return natsConnection_GetLastError(nc, &text) == NATS_NOT_PERMITTED; },
        absl::Seconds(5));
  }

  // Fetches one message from `durable` on `stream` as `client`, bound to the durable (it may not
  // create one), and acks it; "" when none came.
  static std::string FetchOne(Client& client, const char* stream, const char* durable,
                              const char* filter) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Consumer = durable;
    natsSubscription* raw = nullptr;
    natsStatus s = js_PullSubscribe(&raw, client.js.get(), filter, durable, nullptr, &so, &jerr);
    NatsSubPtr sub(raw);
    EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " jerr=" << jerr;
    if (s != NATS_OK) return "";
    natsMsgList list = {nullptr, 0};
    s = natsSubscription_Fetch(&list, sub.get(), 1, 2000, &jerr);
    std::string data;
    if (s == NATS_OK && list.Count == 1) {
      data.assign(natsMsg_GetData(list.Msgs[0]), natsMsg_GetDataLength(list.Msgs[0]));
      EXPECT_EQ(natsMsg_AckSync(list.Msgs[0], nullptr, &jerr), NATS_OK);
    }
    natsMsgList_Destroy(&list);
    return data;
  }

  static inline eda::testing::NatsServer* server_ = nullptr;
};

TEST_F(NatsPermissionsTest, ServicesProvisionOnlyTheirOwnStreams) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  Client stores = As("stores");
  EXPECT_EQ(AddStream(stores.js.get(), "STORES", "mallbots.stores.>", &jerr), NATS_OK);
  // Idempotent: the same configuration again is fine.
  EXPECT_EQ(AddStream(stores.js.get(), "STORES", "mallbots.stores.>", &jerr), NATS_OK);
  EXPECT_NE(AddStream(stores.js.get(), "CUSTOMERS", "mallbots.customers.events.>", &jerr), NATS_OK);
  Client customers = As("customers");
  EXPECT_EQ(AddStream(customers.js.get(), "CUSTOMERS", "mallbots.customers.events.>", &jerr),
            NATS_OK);
  EXPECT_EQ(
      AddStream(customers.js.get(), "CUSTOMERS_COMMANDS", "mallbots.customers.commands", &jerr),
      NATS_OK);
  // The shared dead-letter stream: a consuming service ensures it (its topology limits), a
  // service that consumes nothing may not touch it.
  EXPECT_EQ(AddStream(customers.js.get(), "DEADLETTER", "mallbots.deadletter.>", &jerr), NATS_OK);
  EXPECT_NE(AddStream(stores.js.get(), "DEADLETTER", "mallbots.deadletter.>", &jerr), NATS_OK);
}

TEST_F(NatsPermissionsTest, ServicePublishesItsOwnEventsAndIsRefusedOnOthers) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  Client admin = As("admin");
  AddStream(admin.js.get(), "STORES", "mallbots.stores.>", &jerr);
  AddStream(admin.js.get(), "CUSTOMERS", "mallbots.customers.events.>", &jerr);
  AddStream(admin.js.get(), "CUSTOMERS_COMMANDS", "mallbots.customers.commands", &jerr);
  const uint64_t customers_before = StreamMessages("CUSTOMERS");
  const uint64_t commands_before = StreamMessages("CUSTOMERS_COMMANDS");

  Client stores = As("stores");
  uint64_t seq = 0;
  natsStatus s = Publish(stores.js.get(), "mallbots.stores.events.Store", "store-created", &seq);
  EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s);
  EXPECT_GT(seq, 0u);

  // Another service's event subject and a command subject only cosec may use: refused, and
  // nothing reaches the stream.
  EXPECT_NE(Publish(stores.js.get(), "mallbots.customers.events.Customer", "forged"), NATS_OK);
  EXPECT_TRUE(PermissionViolation(stores.conn.get()));
  EXPECT_NE(Publish(stores.js.get(), "mallbots.customers.commands", "forged"), NATS_OK);
  EXPECT_EQ(StreamMessages("CUSTOMERS"), customers_before);
  EXPECT_EQ(StreamMessages("CUSTOMERS_COMMANDS"), commands_before);

  // cosec may send commands; customers may reply to the saga.
  Client cosec = As("cosec");
  EXPECT_EQ(Publish(cosec.js.get(), "mallbots.customers.commands", "authorize"), NATS_OK);
  EXPECT_EQ(StreamMessages("CUSTOMERS_COMMANDS"), commands_before + 1);
}

TEST_F(NatsPermissionsTest, ConsumersAreLimitedToTheServicesDurables) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  Client admin = As("admin");
  AddStream(admin.js.get(), "STORES", "mallbots.stores.>", &jerr);
  AddStream(admin.js.get(), "CUSTOMERS", "mallbots.customers.events.>", &jerr);
  Client stores = As("stores");
  ASSERT_EQ(Publish(stores.js.get(), "mallbots.stores.events.Store", "for-baskets"), NATS_OK);
  // The durable may not be widened beyond its topology filter.
  EXPECT_NE(AddConsumer(As("baskets").js.get(), "STORES", "baskets-stores", "mallbots.stores.>"),
            NATS_OK);

  Client baskets = As("baskets");
  EXPECT_EQ(
      AddConsumer(baskets.js.get(), "STORES", "baskets-stores", "mallbots.stores.events.Store"),
      NATS_OK);
  EXPECT_NE(AddConsumer(baskets.js.get(), "STORES", "depot-stores", "mallbots.stores.events.Store"),
            NATS_OK);
  EXPECT_NE(AddConsumer(baskets.js.get(), "CUSTOMERS", "baskets-stores",
                        "mallbots.customers.events.Customer"),
            NATS_OK);

  // Bind to the durable, fetch through the service's own inbox prefix, and ack.
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = "STORES";
  so.Consumer = "baskets-stores";
  natsSubscription* raw = nullptr;
  natsStatus s = js_PullSubscribe(&raw, baskets.js.get(), "mallbots.stores.events.Store",
                                  "baskets-stores", nullptr, &so, &jerr);
  NatsSubPtr sub(raw);
  ASSERT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " jerr=" << jerr;
  bool found = false;
  for (int round = 0; round < 10 && !found; ++round) {
    natsMsgList list = {nullptr, 0};
    s = natsSubscription_Fetch(&list, sub.get(), 100, 2000, &jerr);
    ASSERT_EQ(s, NATS_OK) << natsStatus_GetText(s);
    for (int i = 0; i < list.Count; ++i) {
      found |= std::string(natsMsg_GetData(list.Msgs[i]), natsMsg_GetDataLength(list.Msgs[i])) ==
               "for-baskets";
      EXPECT_EQ(natsMsg_AckSync(list.Msgs[i], nullptr, &jerr), NATS_OK);
    }
    natsMsgList_Destroy(&list);
  }
  EXPECT_TRUE(found);
}

TEST_F(NatsPermissionsTest, ASubscriberReadsThroughItsDurableOnlyAndResumesIt) {
  constexpr char kFilter[] = "mallbots.ordering.events.Order";
  constexpr char kDurable[] = "example-node-orders";
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // The stream's owner provisions the subscriber's durable, as its runtime does at startup.
  Client ordering = As("ordering");
  ASSERT_EQ(AddStream(ordering.js.get(), "ORDERING", "mallbots.ordering.events.>", &jerr), NATS_OK);
  ASSERT_EQ(AddConsumer(ordering.js.get(), "ORDERING", kDurable, kFilter), NATS_OK);
  ASSERT_EQ(Publish(ordering.js.get(), kFilter, "order-1"), NATS_OK);
  ASSERT_EQ(Publish(ordering.js.get(), kFilter, "order-2"), NATS_OK);

  {
    Client sub = As("example-node");
    EXPECT_EQ(FetchOne(sub, "ORDERING", kDurable, kFilter), "order-1");
  }
  {  // After a restart (a new connection) it goes on where it was: nothing lost, nothing again.
    Client sub = As("example-node");
    EXPECT_EQ(FetchOne(sub, "ORDERING", kDurable, kFilter), "order-2");
  }

  // Everything else is refused, and the stream and the durable stay as they were.
  const uint64_t messages = StreamMessages("ORDERING");
  Client sub = As("example-node");
  EXPECT_NE(Publish(sub.js.get(), kFilter, "forged"), NATS_OK);
  EXPECT_TRUE(PermissionViolation(sub.conn.get()));
  EXPECT_NE(AddConsumer(sub.js.get(), "ORDERING", kDurable, kFilter), NATS_OK);
  EXPECT_NE(AddConsumer(sub.js.get(), "ORDERING", "example-node-mine", kFilter), NATS_OK);
  EXPECT_NE(js_DeleteConsumer(sub.js.get(), "ORDERING", kDurable, nullptr, &jerr), NATS_OK);
  jsStreamInfo* si = nullptr;
  EXPECT_NE(js_GetStreamInfo(&si, sub.js.get(), "ORDERING", nullptr, &jerr), NATS_OK);
  jsStreamInfo_Destroy(si);
  EXPECT_NE(js_PurgeStream(sub.js.get(), "ORDERING", nullptr, &jerr), NATS_OK);
  EXPECT_NE(js_DeleteStream(sub.js.get(), "ORDERING", nullptr, &jerr), NATS_OK);
  natsMsg* got = nullptr;
  EXPECT_NE(js_GetMsg(&got, sub.js.get(), "ORDERING", 1, nullptr, &jerr), NATS_OK);
  natsMsg_Destroy(got);
  // Another consumer's messages, and the subjects themselves outside JetStream.
  ASSERT_EQ(AddConsumer(As("payments").js.get(), "ORDERING", "payment-orders", kFilter), NATS_OK);
  natsMsg* reply = nullptr;
  EXPECT_NE(natsConnection_RequestString(&reply, sub.conn.get(),
                                         "$JS.API.CONSUMER.MSG.NEXT.ORDERING.payment-orders",
                                         "{\"batch\":1}", 1000),
            NATS_OK);
  natsMsg_Destroy(reply);
  Client other = As("example-node");
  natsSubscription* raw = nullptr;
  natsConnection_SubscribeSync(&raw, other.conn.get(), "mallbots.ordering.events.>");
  NatsSubPtr live(raw);
  natsConnection_Flush(other.conn.get());
  EXPECT_TRUE(PermissionViolation(other.conn.get()));

  EXPECT_EQ(StreamMessages("ORDERING"), messages);
  jsConsumerInfo* ci = nullptr;
  EXPECT_EQ(js_GetConsumerInfo(&ci, As("admin").js.get(), "ORDERING", kDurable, nullptr, &jerr),
            NATS_OK);
  if (ci != nullptr) {
    EXPECT_EQ(ci->Delivered.Stream, 2u);
  }
  jsConsumerInfo_Destroy(ci);
}

TEST_F(NatsPermissionsTest, WrongPasswordAndForeignInboxAreRefused) {
  NatsConnPtr conn;
  EXPECT_NE(Connect("stores", "not-the-password", &conn), NATS_OK);
  // A service may only receive on its own inbox prefix.
  Client stores = As("stores");
  natsSubscription* raw = nullptr;
  natsConnection_SubscribeSync(&raw, stores.conn.get(), "_INBOX_customers.>");
  NatsSubPtr sub(raw);
  natsConnection_Flush(stores.conn.get());
  const char* text = nullptr;
  EXPECT_TRUE(eda::testing::WaitUntil(
      [&] { return natsConnection_GetLastError(stores.conn.get(), &text) == NATS_NOT_PERMITTED; },
      absl::Seconds(5)));
  EXPECT_NE(text, nullptr);
}

}  // namespace
