// The depot binary beside a real stores binary (its catalog's events and fallback), both started
// by the test against real PostgreSQL and nats-server: every RPC with its errors, the state
// machine, robots claiming lists, and the saga's commands with their replies.
#include <grpcpp/grpcpp.h>

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/envelope.h"
#include "libs/messaging/streams.h"
#include "libs/pg/connection.h"
#include "libs/service/service_fixture.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/depot/depot_api.pb.h"
#include "proto/depot/depot_service.grpc.pb.h"
#include "proto/stores/stores_service.grpc.pb.h"

namespace depot {
namespace {

namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;
using Stub = depotpb::DepotService::Stub;
using StoresStub = storespb::StoresService::Stub;

constexpr char kEvents[] = "mallbots.depot.events.ShoppingList";
constexpr char kCommands[] = "mallbots.depot.commands";

class DepotServiceTest : public testing::ServiceFixture<depotpb::DepotService> {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    ASSERT_TRUE(messaging::EnsureStream((*nats)->js(), {.name = "COSEC_REPLIES",
                                                        .subjects = {"mallbots.cosec.replies.>"}})
                    .ok());
    auto stores = testing::ServiceUnderTest::Start("STORES_BIN", "stores");
    ASSERT_TRUE(stores.ok()) << stores.status();
    stores_ = stores->release();
    StartService("DEPOT_BIN", "depot", {"--rpc-services=STORES=" + stores_->grpc_target()});
  }
  static void TearDownTestSuite() {
    ServiceFixture::TearDownTestSuite();
    delete stores_;
    stores_ = nullptr;
  }

  // A store with two products: (store id, product ids).
  std::pair<std::string, std::vector<std::string>> Store(const std::string& name) {
    auto stub = storespb::StoresService::NewStub(
        grpc::CreateChannel(stores_->grpc_target(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    storespb::CreateStoreRequest store;
    store.set_name(name);
    store.set_location("Level 3");
    storespb::CreateStoreResponse created;
    EXPECT_TRUE(stub->CreateStore(&ctx, store, &created).ok());
    std::vector<std::string> products;
    for (const char* product : {"Apples", "Pears"}) {
      grpc::ClientContext add_ctx;
      storespb::AddProductRequest req;
      req.set_store_id(created.id());
      req.set_name(product);
      req.set_price(1);
      storespb::AddProductResponse added;
      EXPECT_TRUE(stub->AddProduct(&add_ctx, req, &added).ok());
      products.push_back(added.id());
    }
    return {created.id(), products};
  }

  static depotpb::OrderItem Item(const std::string& store, const std::string& product, int n) {
    depotpb::OrderItem item;
    item.set_store_id(store);
    item.set_product_id(product);
    item.set_quantity(n);
    return item;
  }

  std::string Create(const std::string& order_id, std::vector<depotpb::OrderItem> items,
                     grpc::Status* status = nullptr) {
    depotpb::CreateShoppingListRequest req;
    req.set_order_id(order_id);
    for (auto& i : items) *req.add_items() = i;
    depotpb::CreateShoppingListResponse resp;
    grpc::Status s = Call(&Stub::CreateShoppingList, req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp.id();
  }
  depotpb::ShoppingList Get(const std::string& id, grpc::Status* status = nullptr) {
    depotpb::GetShoppingListRequest req;
    req.set_id(id);
    depotpb::GetShoppingListResponse resp;
    grpc::Status s = Call(&Stub::GetShoppingList, req, &resp);
    if (status != nullptr) *status = s;
    return resp.shopping_list();
  }
  grpc::Status Claim(const std::string& bot, depotpb::ShoppingList* list = nullptr) {
    depotpb::ClaimShoppingListRequest req;
    req.set_bot_id(bot);
    depotpb::ClaimShoppingListResponse resp;
    grpc::Status s = Call(&Stub::ClaimShoppingList, req, &resp);
    if (list != nullptr) *list = resp.shopping_list();
    return s;
  }
  static std::string Initiate(const std::string& id) {
    depotpb::InitiateShopping cmd;
    cmd.set_id(id);
    return SendCommand(kCommands, "depotapi.InitiateShoppingCommand", cmd);
  }

  // A value of the depot's database (its own role).
  static std::string Query(const std::string& sql) {
    auto conn = eda::pg::Connection::Open(service_->dsn());
    EXPECT_TRUE(conn.ok()) << conn.status();
    auto r = conn->Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && r->rows() > 0 ? std::string(r->Text(0, 0)) : "";
  }

  static inline testing::ServiceUnderTest* stores_ = nullptr;
};

// [REF-DEFECT] the reference kept the first quantity of a product named twice, and dialled its
// own address for the stores fallback.
TEST_F(DepotServiceTest, AListHasAStopPerStoreWithQuantitiesSummed) {
  const auto [store, products] = Store("Greengrocer");
  const auto [other, other_products] = Store("Orchard");
  const std::string order = eda::NewUuid();
  const std::string id =
      Create(order, {Item(store, products[0], 2), Item(store, products[0], 3),
                     Item(store, products[1], 1), Item(other, other_products[0], 4)});
  depotpb::ShoppingList list = Get(id);
  EXPECT_EQ(list.order_id(), order);
  EXPECT_EQ(list.status(), "pending");
  ASSERT_EQ(list.stops_size(), 2);
  const depotpb::Stop& stop = list.stops().at(store);
  EXPECT_EQ(stop.store_name(), "Greengrocer");
  EXPECT_EQ(stop.store_location(), "Level 3");
  EXPECT_EQ(stop.items().at(products[0]).name(), "Apples");
  EXPECT_EQ(stop.items().at(products[0]).quantity(), 5);
  EXPECT_EQ(stop.items().at(products[1]).quantity(), 1);
  EXPECT_EQ(list.stops().at(other).items().at(other_products[0]).quantity(), 4);

  grpc::Status s;
  Create(order, {Item(store, eda::NewUuid(), 1)}, &s);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(),
            "building shopping list: product fallback failed: product was not located");
  EXPECT_FALSE(Create(eda::NewUuid(), {}).empty());  // no items: accepted
}

// [REF-DEFECT] unknown ids were INTERNAL, and Initiate left lists pending (no robot ever shopped).
TEST_F(DepotServiceTest, TheLifeOfAListFromInitiateToCompleted) {
  const auto [store, products] = Store("Bakery");
  const std::string order = eda::NewUuid();
  const std::string id = Create(order, {Item(store, products[0], 1)});
  depotpb::AssignShoppingListRequest assign;
  assign.set_id(id);
  assign.set_bot_id("bot-7");
  depotpb::AssignShoppingListResponse assigned;
  grpc::Status s = Call(&Stub::AssignShoppingList, assign, &assigned);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the shopping list cannot be assigned");
  ASSERT_EQ(Initiate(id), "am.Success");
  EXPECT_EQ(Get(id).status(), "available");
  ASSERT_TRUE(Call(&Stub::AssignShoppingList, assign, &assigned).ok());
  EXPECT_EQ(Get(id).status(), "assigned");
  EXPECT_EQ(Get(id).assigned_bot_id(), "bot-7");
  EXPECT_EQ(Initiate(id), "am.Failure");
  depotpb::CompleteShoppingListRequest complete;
  complete.set_id(id);
  depotpb::CompleteShoppingListResponse completed;
  ASSERT_TRUE(Call(&Stub::CompleteShoppingList, complete, &completed).ok());
  EXPECT_EQ(Get(id).status(), "completed");
  auto events = Events<depotpb::ShoppingListCompleted>("DEPOT", kEvents,
                                                       "depotapi.ShoppingListCompleted", id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].second.order_id(), order);
  depotpb::CancelShoppingListRequest cancel;
  cancel.set_id(id);
  depotpb::CancelShoppingListResponse canceled;
  s = Call(&Stub::CancelShoppingList, cancel, &canceled);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the shopping list cannot be canceled");

  const std::string unknown = eda::NewUuid();
  Get(unknown, &s);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "shopping list " + unknown + " not found");
}

// The catalog follows the stores' events: a rebrand renames the next lists' stops; a removed
// product leaves the cache, and the stores service, asked on the miss, no longer knows it.
TEST_F(DepotServiceTest, TheCatalogFollowsTheStoresEvents) {
  const auto [store, products] = Store("Florist");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Query(absl::StrCat("SELECT count(*) FROM products_cache WHERE id = '", products[0],
                                  "'")) == "1";
      },
      absl::Seconds(10)));
  auto stub = storespb::StoresService::NewStub(
      grpc::CreateChannel(stores_->grpc_target(), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext ctx;
    storespb::RebrandStoreRequest req;
    req.set_id(store);
    req.set_name("Flower Power");
    storespb::RebrandStoreResponse resp;
    ASSERT_TRUE(stub->RebrandStore(&ctx, req, &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    storespb::RemoveProductRequest req;
    req.set_id(products[1]);
    storespb::RemoveProductResponse resp;
    ASSERT_TRUE(stub->RemoveProduct(&ctx, req, &resp).ok());
  }
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Query(absl::StrCat("SELECT name FROM stores_cache WHERE id = '", store, "'")) ==
                   "Flower Power" &&
               Query(absl::StrCat("SELECT count(*) FROM products_cache WHERE id = '", products[1],
                                  "'")) == "0";
      },
      absl::Seconds(10)));
  const std::string id = Create(eda::NewUuid(), {Item(store, products[0], 1)});
  EXPECT_EQ(Get(id).stops().at(store).store_name(), "Flower Power");
  grpc::Status s;
  Create(eda::NewUuid(), {Item(store, products[1], 1)}, &s);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(),
            "building shopping list: product fallback failed: product was not located");

  // Corrupted, then rebuilt from the stores' streams: the rebrand and the removal hold again.
  Query(absl::StrCat("UPDATE stores_cache SET name = 'Wrong' WHERE id = '", store, "'"));
  Query(absl::StrCat("INSERT INTO products_cache (id, store_id, name) VALUES ('", products[1],
                     "', '", store, "', 'Ghost')"));
  const std::string addr = "--addr=127.0.0.1:" + std::to_string(service_->admin_port());
  for (const char* model : {"stores", "products"}) {
    absl::StatusOr<std::string> out =
        testing::CommandOutput({std::getenv("MALLCTL_BIN"), "rebuild", "depot", model, addr});
    ASSERT_TRUE(out.ok()) << out.status() << "\n" << service_->LogTail();
    EXPECT_THAT(*out, ::testing::HasSubstr(absl::StrCat(model, ": done")));
  }
  EXPECT_EQ(Query(absl::StrCat("SELECT name FROM stores_cache WHERE id = '", store, "'")),
            "Flower Power");
  EXPECT_EQ(
      Query(absl::StrCat("SELECT count(*) FROM products_cache WHERE id = '", products[1], "'")),
      "0");
}

TEST_F(DepotServiceTest, TwoBotsClaimingAtOnceGetDifferentLists) {
  // Robots of this test alone (a robot that claims again gets its own list back first).
  const std::string run = eda::RandomHex(4);
  auto bot = [&](const std::string& name) { return name + "-" + run; };
  for (int i = 0; Claim(bot("drain-" + std::to_string(i))).ok(); ++i) {
  }  // lists other tests left available
  grpc::Status s = Claim(bot("bot-0"));
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no shopping list is available");
  const auto [store, products] = Store("Dairy");
  std::set<std::string> made;
  for (int i = 0; i < 2; ++i) {
    const std::string id = Create(eda::NewUuid(), {Item(store, products[0], 1)});
    ASSERT_EQ(Initiate(id), "am.Success");
    made.insert(id);
  }
  depotpb::ShoppingList first, second;
  grpc::Status a, b;
  std::thread one([&] { a = Claim(bot("bot-1"), &first); });
  std::thread two([&] { b = Claim(bot("bot-2"), &second); });
  one.join();
  two.join();
  ASSERT_TRUE(a.ok()) << a.error_message();
  ASSERT_TRUE(b.ok()) << b.error_message();
  EXPECT_NE(first.id(), second.id());
  EXPECT_EQ(made, (std::set<std::string>{first.id(), second.id()}));
  EXPECT_EQ(first.status(), "assigned");
  EXPECT_EQ(Get(first.id()).assigned_bot_id(), bot("bot-1"));
  EXPECT_EQ(Get(second.id()).assigned_bot_id(), bot("bot-2"));
  EXPECT_EQ(Claim(bot("bot-3")).error_code(), grpc::NOT_FOUND);
  // A robot that lost the answer to its claim claims again: its own list, not another one.
  depotpb::ShoppingList again;
  ASSERT_TRUE(Claim(bot("bot-1"), &again).ok());
  EXPECT_EQ(again.id(), first.id());
  // Once it completed it, it gets the next available one (none here).
  depotpb::CompleteShoppingListRequest complete;
  complete.set_id(first.id());
  depotpb::CompleteShoppingListResponse completed;
  ASSERT_TRUE(Call(&Stub::CompleteShoppingList, complete, &completed).ok());
  EXPECT_EQ(Claim(bot("bot-1")).error_code(), grpc::NOT_FOUND);
}

TEST_F(DepotServiceTest, TheSagasCommandsCreateAndCancelLists) {
  const auto [store, products] = Store("Butcher");
  const std::string order = eda::NewUuid();
  depotpb::CreateShoppingList create;
  create.set_order_id(order);
  depotpb::CreateShoppingList::Item& item = *create.add_items();
  item.set_store_id(store);
  item.set_product_id(products[1]);
  item.set_quantity(2);
  EXPECT_EQ(SendCommand(kCommands, "depotapi.CreateShoppingListCommand", create),
            "depotapi.CreatedShoppingListReply");
  std::string id;
  for (const messaging::Message& r :
       Messages("COSEC_REPLIES", "mallbots.cosec.replies.CreateOrder")) {
    depotpb::CreatedShoppingList reply;
    if (r.name == "depotapi.CreatedShoppingListReply" && reply.ParseFromString(r.payload) &&
        !reply.id().empty() && Get(reply.id()).order_id() == order) {
      id = reply.id();
    }
  }
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Get(id).stops().at(store).items().at(products[1]).quantity(), 2);
  // The compensation, addressed by the order: canceled, and again a success.
  depotpb::CancelShoppingList cancel;
  cancel.set_order_id(order);
  EXPECT_EQ(SendCommand(kCommands, "depotapi.CancelShoppingListCommand", cancel), "am.Success");
  EXPECT_EQ(Get(id).status(), "canceled");
  EXPECT_EQ(SendCommand(kCommands, "depotapi.CancelShoppingListCommand", cancel), "am.Success");
  // An order without a list (its CreateShoppingList failed or never ran): nothing to undo.
  cancel.set_order_id(eda::NewUuid());
  EXPECT_EQ(SendCommand(kCommands, "depotapi.CancelShoppingListCommand", cancel), "am.Success");
  cancel.set_order_id("");
  EXPECT_EQ(SendCommand(kCommands, "depotapi.CancelShoppingListCommand", cancel), "am.Failure");
}

}  // namespace
}  // namespace depot
