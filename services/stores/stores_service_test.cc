// The stores binary, started by the test against real PostgreSQL and nats-server, called over
// gRPC and observed on its stream: every RPC, its errors, its read models, its events, and
// aggregates reloaded through snapshots after a restart.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/nats.h"
#include "libs/pg/connection.h"
#include "libs/service/service_fixture.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/stores/stores_api.pb.h"
#include "proto/stores/stores_service.grpc.pb.h"
#include "services/stores/domain/stores_domain.pb.h"

namespace stores {
namespace {

using ::testing::HasSubstr;
namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;
using Stub = storespb::StoresService::Stub;

constexpr char kStoreEvents[] = "mallbots.stores.events.Store";
constexpr char kProductEvents[] = "mallbots.stores.events.Product";

class StoresServiceTest : public testing::ServiceFixture<storespb::StoresService> {
 protected:
  static void SetUpTestSuite() { StartService("STORES_BIN", "stores"); }

  std::string CreateStore(const std::string& name) {
    storespb::CreateStoreRequest req;
    req.set_name(name);
    req.set_location("Level 1");
    storespb::CreateStoreResponse resp;
    grpc::Status s = Call(&Stub::CreateStore, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.id();
  }

  std::string AddProduct(const std::string& store_id, const std::string& name, double price) {
    storespb::AddProductRequest req;
    req.set_store_id(store_id);
    req.set_name(name);
    req.set_description("a " + name);
    req.set_sku("SKU-" + name);
    req.set_price(price);
    storespb::AddProductResponse resp;
    grpc::Status s = Call(&Stub::AddProduct, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.id();
  }

  storespb::Product GetProduct(const std::string& id, grpc::Status* status = nullptr) {
    storespb::GetProductRequest req;
    req.set_id(id);
    storespb::GetProductResponse resp;
    grpc::Status s = Call(&Stub::GetProduct, req, &resp);
    if (status != nullptr) *status = s;
    return resp.product();
  }

  static std::vector<messaging::Message> Messages(const std::string& subject) {
    return ServiceFixture::Messages("STORES", subject);
  }

  template <typename T>
  static std::vector<std::pair<messaging::Message, T>> Events(const std::string& subject,
                                                              const std::string& name,
                                                              const std::string& id,
                                                              size_t count = 1) {
    return ServiceFixture::Events<T>("STORES", subject, name, id, count);
  }
};

TEST_F(StoresServiceTest, StoreLifecycleUpdatesTheReadModelAndPublishes) {
  const std::string id = CreateStore("Books");
  ASSERT_TRUE(eda::IsUuid(id));
  auto created = Events<storespb::StoreCreated>(kStoreEvents, "storesapi.StoreCreated", id);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].second.name(), "Books");
  EXPECT_EQ(created[0].second.location(), "Level 1");
  EXPECT_THAT(created[0].first.metadata["traceparent"],
              HasSubstr("4bf92f3577b34da6a3ce929d0e0e4736"));

  storespb::GetStoreRequest get;
  get.set_id(id);
  storespb::GetStoreResponse got;
  ASSERT_TRUE(Call(&Stub::GetStore, get, &got).ok());
  EXPECT_EQ(got.store().name(), "Books");
  EXPECT_FALSE(got.store().participating());

  storespb::DisableParticipationRequest disable;
  disable.set_id(id);
  storespb::DisableParticipationResponse disabled;
  grpc::Status s = Call(&Stub::DisableParticipation, disable, &disabled);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the store is already not participating");

  storespb::EnableParticipationRequest enable;
  enable.set_id(id);
  storespb::EnableParticipationResponse enabled;
  ASSERT_TRUE(Call(&Stub::EnableParticipation, enable, &enabled).ok());
  s = Call(&Stub::EnableParticipation, enable, &enabled);
  EXPECT_EQ(s.error_message(), "the store is already participating");
  auto toggled = Events<storespb::StoreParticipationToggled>(
      kStoreEvents, "storesapi.StoreParticipatingToggled", id);
  ASSERT_EQ(toggled.size(), 1u);
  EXPECT_TRUE(toggled[0].second.participating());

  storespb::GetParticipatingStoresRequest preq;
  storespb::GetParticipatingStoresResponse presp;
  ASSERT_TRUE(Call(&Stub::GetParticipatingStores, preq, &presp).ok());
  bool listed = false;
  for (const auto& st : presp.stores()) listed |= st.id() == id;
  EXPECT_TRUE(listed);

  storespb::RebrandStoreRequest rebrand;
  rebrand.set_id(id);
  rebrand.set_name("Books & More");
  storespb::RebrandStoreResponse rebranded;
  ASSERT_TRUE(Call(&Stub::RebrandStore, rebrand, &rebranded).ok());
  ASSERT_EQ((Events<storespb::StoreRebranded>(kStoreEvents, "storesapi.StoreRebranded", id).size()),
            1u);
  ASSERT_TRUE(Call(&Stub::GetStore, get, &got).ok());
  EXPECT_EQ(got.store().name(), "Books & More");
  EXPECT_TRUE(got.store().participating());

  // And back out of participation: the flag, the list and the event follow.
  ASSERT_TRUE(Call(&Stub::DisableParticipation, disable, &disabled).ok());
  auto toggles = Events<storespb::StoreParticipationToggled>(
      kStoreEvents, "storesapi.StoreParticipatingToggled", id, 2);
  ASSERT_EQ(toggles.size(), 2u);
  EXPECT_FALSE(toggles[1].second.participating());
  ASSERT_TRUE(Call(&Stub::GetStore, get, &got).ok());
  EXPECT_FALSE(got.store().participating());
  ASSERT_TRUE(Call(&Stub::GetParticipatingStores, preq, &presp).ok());
  for (const auto& st : presp.stores()) EXPECT_NE(st.id(), id);
}

TEST_F(StoresServiceTest, ProductsPricesAndRemoval) {
  const std::string store = CreateStore("Pens");
  const std::string id = AddProduct(store, "Ballpoint", 1.5);
  auto added = Events<storespb::ProductAdded>(kProductEvents, "storesapi.ProductAdded", id);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].second.store_id(), store);
  EXPECT_EQ(added[0].second.sku(), "SKU-Ballpoint");
  EXPECT_DOUBLE_EQ(added[0].second.price(), 1.5);

  storespb::IncreaseProductPriceRequest up;
  up.set_id(id);
  up.set_price(2.25);
  storespb::IncreaseProductPriceResponse up_resp;
  ASSERT_TRUE(Call(&Stub::IncreaseProductPrice, up, &up_resp).ok());
  up.set_price(1.0);
  grpc::Status s = Call(&Stub::IncreaseProductPrice, up, &up_resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the price change would be a decrease");
  storespb::DecreaseProductPriceRequest down;
  down.set_id(id);
  down.set_price(2.0);
  storespb::DecreaseProductPriceResponse down_resp;
  ASSERT_TRUE(Call(&Stub::DecreaseProductPrice, down, &down_resp).ok());
  down.set_price(3.0);
  EXPECT_EQ(Call(&Stub::DecreaseProductPrice, down, &down_resp).error_message(),
            "the price change would be an increase");
  EXPECT_DOUBLE_EQ(GetProduct(id).price(), 2.0);
  auto increased =
      Events<storespb::ProductPriceChanged>(kProductEvents, "storesapi.ProductPriceIncreased", id);
  ASSERT_EQ(increased.size(), 1u);
  EXPECT_DOUBLE_EQ(increased[0].second.delta(), 0.75);
  auto decreased =
      Events<storespb::ProductPriceChanged>(kProductEvents, "storesapi.ProductPriceDecreased", id);
  ASSERT_EQ(decreased.size(), 1u);
  EXPECT_DOUBLE_EQ(decreased[0].second.delta(), -0.25);

  storespb::GetCatalogRequest catalog;
  catalog.set_store_id(store);
  storespb::GetCatalogResponse items;
  ASSERT_TRUE(Call(&Stub::GetCatalog, catalog, &items).ok());
  ASSERT_EQ(items.products_size(), 1);
  EXPECT_EQ(items.products(0).name(), "Ballpoint");

  storespb::RemoveProductRequest remove;
  remove.set_id(id);
  storespb::RemoveProductResponse removed;
  ASSERT_TRUE(Call(&Stub::RemoveProduct, remove, &removed).ok());
  ASSERT_EQ(
      (Events<storespb::ProductRemoved>(kProductEvents, "storesapi.ProductRemoved", id).size()),
      1u);
  grpc::Status st;
  GetProduct(id, &st);
  EXPECT_EQ(st.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "product with that ID does not exist");
  // A removed product refuses further commands.
  EXPECT_EQ(Call(&Stub::RemoveProduct, remove, &removed).error_code(), grpc::NOT_FOUND);
  storespb::RebrandProductRequest rebrand;
  rebrand.set_id(id);
  rebrand.set_name("Gone");
  storespb::RebrandProductResponse rebranded;
  EXPECT_EQ(Call(&Stub::RebrandProduct, rebrand, &rebranded).error_code(), grpc::NOT_FOUND);
}

// A call's log line is not flushed on its own (one write(2) per call would cost more than the
// rest of the line): it waits in stdout's buffer for the background flush, which takes it out
// within a second even when nothing else is logged.
TEST_F(StoresServiceTest, EachCallIsLoggedWithItsTraceWithinASecond) {
  const std::string trace_id = eda::RandomHex(16);
  storespb::GetStoresRequest req;
  storespb::GetStoresResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  ctx.AddMetadata("traceparent", absl::StrCat("00-", trace_id, "-", eda::RandomHex(8), "-01"));
  ASSERT_TRUE(stub_->GetStores(&ctx, req, &resp).ok());
  const absl::Time called = absl::Now();
  std::string line;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (absl::string_view l : absl::StrSplit(service_->LogTail(50), '\n')) {
          if (absl::StrContains(l, trace_id)) line = std::string(l);
        }
        return !line.empty();
      },
      absl::Seconds(3)))
      << service_->LogTail();
  EXPECT_LT(absl::Now() - called, absl::Milliseconds(2500));
  EXPECT_THAT(line, HasSubstr(R"("level":"info")"));
  EXPECT_THAT(line, HasSubstr(R"("msg":"rpc GetStores")"));
  EXPECT_THAT(line, HasSubstr(R"("grpc_code":"OK")"));
}

TEST_F(StoresServiceTest, BadRequestsAndUnknownIds) {
  // Stores created before and after the bad requests, their events waited for: the service
  // publishes in commit order, so an event of a bad request would come between the two.
  const std::string first = CreateStore("Before");
  ASSERT_EQ((Events<storespb::StoreCreated>(kStoreEvents, "storesapi.StoreCreated", first).size()),
            1u);
  const size_t before = Messages(kStoreEvents).size() + Messages(kProductEvents).size();
  storespb::CreateStoreRequest create;
  storespb::CreateStoreResponse created;
  create.set_location("x");
  EXPECT_EQ(Call(&Stub::CreateStore, create, &created).error_message(),
            "the store name cannot be blank");
  create.set_name("x");
  create.set_location("");
  EXPECT_EQ(Call(&Stub::CreateStore, create, &created).error_message(),
            "the store location cannot be blank");
  create.set_name(std::string(5000, 'n'));
  create.set_location("x");
  EXPECT_EQ(Call(&Stub::CreateStore, create, &created).error_code(), grpc::INVALID_ARGUMENT);

  const std::string store = CreateStore("Valid");
  storespb::AddProductRequest add;
  storespb::AddProductResponse add_resp;
  add.set_store_id(store);
  add.set_price(1);
  EXPECT_EQ(Call(&Stub::AddProduct, add, &add_resp).error_message(),
            "initializing product: the product name cannot be blank");
  add.set_name("Pen");
  add.set_price(-1);
  EXPECT_EQ(Call(&Stub::AddProduct, add, &add_resp).error_message(),
            "initializing product: the product price cannot be negative");
  add.set_price(1);
  add.set_store_id(eda::NewUuid());
  EXPECT_EQ(Call(&Stub::AddProduct, add, &add_resp).error_code(), grpc::NOT_FOUND);

  storespb::GetStoreRequest get;
  storespb::GetStoreResponse got;
  get.set_id(eda::NewUuid());
  EXPECT_EQ(Call(&Stub::GetStore, get, &got).error_code(), grpc::NOT_FOUND);
  get.set_id("42");
  grpc::Status s = Call(&Stub::GetStore, get, &got);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the store id must be a UUID");
  storespb::EnableParticipationRequest enable;
  enable.set_id(eda::NewUuid());
  storespb::EnableParticipationResponse enabled;
  EXPECT_EQ(Call(&Stub::EnableParticipation, enable, &enabled).error_code(), grpc::NOT_FOUND);
  storespb::IncreaseProductPriceRequest up;
  up.set_id(eda::NewUuid());
  up.set_price(3);
  storespb::IncreaseProductPriceResponse up_resp;
  EXPECT_EQ(Call(&Stub::IncreaseProductPrice, up, &up_resp).error_code(), grpc::NOT_FOUND);
  // Only the valid store's creation was announced.
  const std::string last = CreateStore("After");
  ASSERT_EQ((Events<storespb::StoreCreated>(kStoreEvents, "storesapi.StoreCreated", last).size()),
            1u);
  EXPECT_EQ(Messages(kStoreEvents).size() + Messages(kProductEvents).size(), before + 2);
  EXPECT_EQ((Events<storespb::StoreCreated>(kStoreEvents, "storesapi.StoreCreated", store).size()),
            1u);
}

TEST_F(StoresServiceTest, AggregatesStoredUnderTheFirstReleasesNamesStillLoad) {
  // As the first releases stored them: events named stores.StoreCreated, ... in the layouts of
  // the storespb messages, snapshots named stores.ProductV1.
  auto conn = eda::pg::Connection::Open(service_->dsn());
  ASSERT_TRUE(conn.ok()) << conn.status();
  const std::string store_id = eda::NewUuid(), product_id = eda::NewUuid();
  storespb::StoreCreated created;
  created.set_name("Old Books");
  created.set_location("Basement");
  storespb::StoreRebranded rebranded;
  rebranded.set_name("Older Books");
  storespb::ProductAdded added;
  added.set_store_id(store_id);
  added.set_name("Atlas");
  added.set_price(10);
  domain::ProductState snapshot;  // the layout of the first releases' storespb.ProductSnapshot
  snapshot.set_store_id(store_id);
  snapshot.set_name("Atlas");
  snapshot.set_price(10);
  constexpr char kEvent[] =
      "INSERT INTO events (stream_id, stream_type, stream_version, event_id, event_name, "
      "event_version, payload, occurred_at) VALUES ($1, $2, $3, $4, $5, 1, $6, now())";
  using eda::pg::Param;
  for (const auto& [id, type, version, name, payload] :
       std::vector<std::tuple<std::string, std::string, int, std::string, std::string>>{
           {store_id, "stores.Store", 1, "stores.StoreCreated", created.SerializeAsString()},
           {store_id, "stores.Store", 2, "stores.StoreRebranded", rebranded.SerializeAsString()},
           {product_id, "stores.Product", 1, "stores.ProductAdded", added.SerializeAsString()}}) {
    ASSERT_TRUE(
        conn->Exec(kEvent, {id, type, version, eda::NewUuid(), name, Param::Bytes(payload)}).ok());
  }
  ASSERT_TRUE(conn->Exec("INSERT INTO snapshots (stream_id, stream_type, stream_version, "
                         "snapshot_name, snapshot_version, payload) VALUES ($1, 'stores.Product', "
                         "1, 'stores.ProductV1', 1, $2)",
                         {product_id, Param::Bytes(snapshot.SerializeAsString())})
                  .ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO stores (id, name, location) VALUES ($1, 'Older Books', "
                         "'Basement')",
                         {store_id})
                  .ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO products (id, store_id, name, description, sku, price) "
                         "VALUES ($1, $2, 'Atlas', '', '', 10)",
                         {product_id, store_id})
                  .ok());

  storespb::EnableParticipationRequest enable;
  enable.set_id(store_id);
  storespb::EnableParticipationResponse enabled;
  grpc::Status s = Call(&Stub::EnableParticipation, enable, &enabled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  storespb::RebrandStoreRequest rebrand;
  rebrand.set_id(store_id);  // a rebrand applies to the name the old events left
  storespb::RebrandStoreResponse rebrand_resp;
  ASSERT_TRUE(Call(&Stub::RebrandStore, rebrand, &rebrand_resp).ok());
  storespb::IncreaseProductPriceRequest up;
  up.set_id(product_id);
  up.set_price(12);
  storespb::IncreaseProductPriceResponse up_resp;
  s = Call(&Stub::IncreaseProductPrice, up, &up_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_DOUBLE_EQ(GetProduct(product_id).price(), 12);
  up.set_price(11);  // the snapshot's price (10) plus the increase: 11 is a decrease now
  EXPECT_EQ(Call(&Stub::IncreaseProductPrice, up, &up_resp).error_code(), grpc::INVALID_ARGUMENT);
}

TEST_F(StoresServiceTest, ProductReloadsThroughSnapshotsAfterARestart) {
  const std::string store = CreateStore("Snap");
  const std::string id = AddProduct(store, "Lamp", 10);
  for (int i = 1; i <= 7; ++i) {  // versions 2..8: snapshots at 3 and 6
    storespb::RebrandProductRequest r;
    r.set_id(id);
    r.set_name(absl::StrCat("Lamp ", i));
    r.set_description("v" + std::to_string(i));
    storespb::RebrandProductResponse resp;
    ASSERT_TRUE(Call(&Stub::RebrandProduct, r, &resp).ok());
  }
  service_->Stop();
  // Without the events the snapshot covers, only a load that starts from the snapshot (version
  // 6) can rebuild the product: a full replay would fail.
  {
    auto conn = eda::pg::Connection::Open(service_->dsn());
    ASSERT_TRUE(conn.ok());
    auto deleted = conn->Exec(
        "DELETE FROM events WHERE stream_id = $1 AND stream_type = 'stores.Product' "
        "AND stream_version <= 6",
        {id});
    ASSERT_TRUE(deleted.ok());
    EXPECT_EQ(deleted->affected(), 6);
  }
  ASSERT_TRUE(service_->Restart().ok());
  SetUp();
  storespb::IncreaseProductPriceRequest up;
  up.set_id(id);
  up.set_price(12);
  storespb::IncreaseProductPriceResponse up_resp;
  grpc::Status s = Call(&Stub::IncreaseProductPrice, up, &up_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto increased =
      Events<storespb::ProductPriceChanged>(kProductEvents, "storesapi.ProductPriceIncreased", id);
  ASSERT_EQ(increased.size(), 1u);
  EXPECT_DOUBLE_EQ(increased[0].second.delta(), 2.0);  // the reloaded product knew its price
  storespb::Product p = GetProduct(id);
  EXPECT_EQ(p.name(), "Lamp 7");
  EXPECT_DOUBLE_EQ(p.price(), 12.0);
  auto snapshots = eda::pg::Connection::Open(service_->dsn());
  ASSERT_TRUE(snapshots.ok());
  auto r = snapshots->Exec("SELECT stream_version FROM snapshots WHERE stream_id = $1", {id});
  ASSERT_TRUE(r.ok() && r->rows() == 1);
  EXPECT_EQ(*r->Int(0, 0), 9);  // version 9 (the price change) crossed the next multiple of 3
}

TEST_F(StoresServiceTest, RestartsInTheMiddleOfABurstLoseNoEvent) {
  // Four clients create stores without pause while the service is stopped gracefully once and
  // killed once. A call that returned OK must have its event on the stream exactly once; a call
  // cut off by the kill may or may not have committed, but never publishes twice.
  constexpr int kClients = 4;
  constexpr int kPerClient = 60;
  const std::string tag = eda::RandomHex(4);
  absl::Mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<int> done{0};
  std::vector<std::jthread> clients;  // joined however the test leaves
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kPerClient; ++i) {
        storespb::CreateStoreRequest req;
        req.set_name(absl::StrCat("Burst ", tag, " ", c, "-", i));
        req.set_location("Level 3");
        storespb::CreateStoreResponse resp;
        if (Call(&Stub::CreateStore, req, &resp).ok()) {
          absl::MutexLock lock(&mu);
          acknowledged.insert(resp.id());
        }
        done.fetch_add(1);
      }
    });
  }
  auto calls_reach = [&](int n) {
    return testing::WaitUntil([&] { return done.load() >= n; }, absl::Seconds(60));
  };
  ASSERT_TRUE(calls_reach(kClients * kPerClient / 3));
  ASSERT_TRUE(service_->Restart(SIGTERM).ok()) << service_->LogTail();
  ASSERT_TRUE(calls_reach(2 * kClients * kPerClient / 3));
  // The kill lands while the clients are still calling (they make kPerClient calls each).
  EXPECT_LT(done.load(), kClients * kPerClient);
  ASSERT_TRUE(service_->Restart(SIGKILL).ok()) << service_->LogTail();
  for (std::jthread& t : clients) t.join();
  ASSERT_GE(acknowledged.size(), static_cast<size_t>(kClients * kPerClient * 3 / 4))
      << "most calls should have gone through";

  std::map<std::string, int> published;  // store id -> StoreCreated events for it
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        published.clear();
        for (const messaging::Message& m : Messages(kStoreEvents)) {
          storespb::StoreCreated created;
          if (m.name == "storesapi.StoreCreated" && created.ParseFromString(m.payload) &&
              absl::StrContains(created.name(), tag)) {
            ++published[created.id()];
          }
        }
        for (const std::string& id : acknowledged) {
          if (!published.count(id)) return false;
        }
        return true;
      },
      absl::Seconds(30)))
      << published.size() << " of " << acknowledged.size() << " acknowledged stores published";
  for (const auto& [id, count] : published)
    EXPECT_EQ(count, 1) << "store " << id << " published twice";

  // The read model holds every acknowledged store.
  storespb::GetStoresRequest all;
  storespb::GetStoresResponse stores;
  ASSERT_TRUE(Call(&Stub::GetStores, all, &stores).ok());
  std::set<std::string> listed;
  for (const storespb::Store& s : stores.stores()) listed.insert(s.id());
  for (const std::string& id : acknowledged)
    EXPECT_TRUE(listed.count(id)) << "store " << id << " not listed";
}

}  // namespace
}  // namespace stores
