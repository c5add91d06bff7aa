// The search binary beside real customers and stores binaries (its caches' events and
// fallbacks), all started by the test against real PostgreSQL and nats-server, with ordering's
// events published as ordering publishes them: the orders read model with its names, total and
// every status, GetOrder, and SearchOrders with every filter, pages and their errors.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/messaging/streams.h"
#include "libs/pg/connection.h"
#include "libs/service/service_fixture.h"
#include "libs/service/service_testing.h"
#include "libs/testing/harness.h"
#include "proto/customers/customers_service.grpc.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/search/search_service.grpc.pb.h"
#include "proto/stores/stores_service.grpc.pb.h"
#include "services/ordering/api/messages.h"

namespace search {
namespace {

namespace testing = ::eda::testing;
namespace messaging = ::eda::messaging;
namespace api = ::ordering::api;
using ::testing::ElementsAre;
using Stub = searchpb::SearchService::Stub;

struct Product {
  std::string id;
  std::string store_id;
  double price;
};

class SearchServiceTest : public testing::ServiceFixture<searchpb::SearchService> {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::ConnectAsAdmin(testing::SharedStackNats());
    ASSERT_TRUE(nats.ok()) << nats.status();
    ASSERT_TRUE(messaging::EnsureStream(
                    (*nats)->js(), {.name = "ORDERING", .subjects = {"mallbots.ordering.events.>"}})
                    .ok());
    auto customers = testing::ServiceUnderTest::Start("CUSTOMERS_BIN", "customers");
    ASSERT_TRUE(customers.ok()) << customers.status();
    customers_ = customers->release();
    auto stores = testing::ServiceUnderTest::Start("STORES_BIN", "stores");
    ASSERT_TRUE(stores.ok()) << stores.status();
    stores_ = stores->release();
    StartService("SEARCH_BIN", "search",
                 {"--rpc-services=CUSTOMERS=" + customers_->grpc_target() +
                  ",STORES=" + stores_->grpc_target()});
  }
  static void TearDownTestSuite() {
    ServiceFixture::TearDownTestSuite();
    delete customers_;
    customers_ = nullptr;
    delete stores_;
    stores_ = nullptr;
  }

  template <typename S>
  static std::unique_ptr<typename S::Stub> StubOf(testing::ServiceUnderTest* service) {
    return S::NewStub(
        grpc::CreateChannel(service->grpc_target(), grpc::InsecureChannelCredentials()));
  }
  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return ctx;
  }

  static std::string Customer(const std::string& name) {
    customerspb::RegisterCustomerRequest req;
    req.set_name(name);
    req.set_sms_number("555-0100");
    customerspb::RegisterCustomerResponse resp;
    EXPECT_TRUE(StubOf<customerspb::CustomersService>(customers_)
                    ->RegisterCustomer(Context().get(), req, &resp)
                    .ok());
    return resp.id();
  }
  // A store named `name` with a product per price.
  static std::vector<Product> Store(const std::string& name, std::vector<double> prices) {
    auto stub = StubOf<storespb::StoresService>(stores_);
    storespb::CreateStoreRequest store;
    store.set_name(name);
    store.set_location("Level 1");
    storespb::CreateStoreResponse created;
    EXPECT_TRUE(stub->CreateStore(Context().get(), store, &created).ok());
    std::vector<Product> out;
    for (double price : prices) {
      storespb::AddProductRequest req;
      req.set_store_id(created.id());
      req.set_name(absl::StrCat(name, " item ", out.size() + 1));
      req.set_sku("SKU");
      req.set_price(price);
      storespb::AddProductResponse added;
      EXPECT_TRUE(stub->AddProduct(Context().get(), req, &added).ok());
      out.push_back({added.id(), created.id(), price});
    }
    return out;
  }

  // Publishes ordering's OrderCreated for `lines` (product, quantity); returns the order id.
  static std::string Created(const std::string& customer,
                             const std::vector<std::pair<Product, int>>& lines) {
    orderingpb::OrderCreated e;
    e.set_id(eda::NewUuid());
    e.set_customer_id(customer);
    e.set_payment_id(eda::NewUuid());
    for (const auto& [product, quantity] : lines) {
      orderingpb::OrderCreated::Item* item = e.add_items();
      item->set_product_id(product.id);
      item->set_store_id(product.store_id);
      item->set_price(product.price);
      item->set_quantity(quantity);
    }
    Publish(api::kOrderSubject, api::kOrderCreated, e);
    return e.id();
  }
  template <typename T>
  static void Event(const char* name, const std::string& order_id) {
    T e;
    e.set_id(order_id);
    Publish(api::kOrderSubject, name, e);
  }

  grpc::Status Get(const std::string& id, searchpb::Order* out) {
    searchpb::GetOrderRequest req;
    req.set_id(id);
    searchpb::GetOrderResponse resp;
    grpc::Status s = Call(&Stub::GetOrder, req, &resp);
    *out = resp.order();
    return s;
  }
  // The order once the read model shows it with `status`.
  searchpb::Order WaitFor(const std::string& id, const std::string& status) {
    searchpb::Order order;
    testing::WaitUntil([&] { return Get(id, &order).ok() && order.status() == status; },
                       absl::Seconds(15));
    EXPECT_EQ(order.status(), status) << id << "\n" << service_->LogTail();
    return order;
  }
  // Every order id of the search, page after page of `limit`.
  std::vector<std::string> SearchAll(searchpb::SearchOrdersRequest req, int limit) {
    req.set_limit(limit);
    std::vector<std::string> ids;
    for (int page = 0; page < 100; ++page) {
      searchpb::SearchOrdersResponse resp;
      grpc::Status s = Call(&Stub::SearchOrders, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      EXPECT_LE(resp.orders_size(), limit);
      for (const searchpb::Order& o : resp.orders()) ids.push_back(o.order_id());
      if (resp.next().empty()) break;
      req.set_next(resp.next());
    }
    return ids;
  }

  static inline testing::ServiceUnderTest* customers_ = nullptr;
  static inline testing::ServiceUnderTest* stores_ = nullptr;
};

TEST_F(SearchServiceTest, AnOrderIsShownWithItsNamesTotalAndEveryStatus) {
  const std::string ada = Customer("Ada");
  std::vector<Product> books = Store("Books", {2.5, 4});
  std::vector<Product> pens = Store("Pens", {1.25});
  const absl::Time before = absl::Now() - absl::Seconds(1);
  const std::string order = Created(ada, {{books[0], 2}, {books[1], 1}, {pens[0], 4}});
  searchpb::Order o = WaitFor(order, "New");
  EXPECT_EQ(o.customer_id(), ada);
  EXPECT_EQ(o.customer_name(), "Ada");
  EXPECT_DOUBLE_EQ(o.total(), 14);
  ASSERT_EQ(o.items_size(), 3);
  EXPECT_EQ(o.items(0).product_name(), "Books item 1");
  EXPECT_EQ(o.items(0).store_name(), "Books");
  EXPECT_EQ(o.items(2).store_name(), "Pens");
  EXPECT_EQ(o.items(2).quantity(), 4);
  EXPECT_DOUBLE_EQ(o.items(1).price(), 4);
  EXPECT_GE(o.created_at().seconds(), absl::ToUnixSeconds(before));

  Event<orderingpb::OrderApproved>(api::kOrderApproved, order);
  WaitFor(order, "Approved");
  Event<orderingpb::OrderReadied>(api::kOrderReadied, order);
  WaitFor(order, "Ready For Pickup");
  Event<orderingpb::OrderCompleted>(api::kOrderCompleted, order);
  WaitFor(order, "Completed");
  const std::string rejected = Created(ada, {{pens[0], 1}});
  Event<orderingpb::OrderRejected>(api::kOrderRejected, rejected);
  WaitFor(rejected, "Rejected");
  const std::string canceled = Created(ada, {{pens[0], 1}});
  Event<orderingpb::OrderCanceled>(api::kOrderCanceled, canceled);
  WaitFor(canceled, "Canceled");
}

TEST_F(SearchServiceTest, NamesMissingFromTheCachesAreAskedOfTheirServices) {
  const std::string bo = Customer("Bo");
  std::vector<Product> toys = Store("Toys", {3});
  // Wait until the caches hold them, then make them forget.
  auto conn = eda::pg::Connection::Open(service_->dsn());
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto cached = [&](const char* sql, const std::string& id) {
    auto r = conn->Exec(sql, {id});
    return r.ok() && r->rows() == 1;
  };
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return cached("SELECT 1 FROM customers_cache WHERE id = $1", bo) &&
               cached("SELECT 1 FROM products_cache WHERE id = $1", toys[0].id) &&
               cached("SELECT 1 FROM stores_cache WHERE id = $1", toys[0].store_id);
      },
      absl::Seconds(10)));
  ASSERT_TRUE(conn->Exec("DELETE FROM customers_cache WHERE id = $1", {bo}).ok());
  ASSERT_TRUE(conn->Exec("DELETE FROM products_cache WHERE id = $1", {toys[0].id}).ok());
  ASSERT_TRUE(conn->Exec("DELETE FROM stores_cache WHERE id = $1", {toys[0].store_id}).ok());
  searchpb::Order o = WaitFor(Created(bo, {{toys[0], 1}}), "New");
  EXPECT_EQ(o.customer_name(), "Bo");
  ASSERT_EQ(o.items_size(), 1);
  EXPECT_EQ(o.items(0).product_name(), "Toys item 1");
  EXPECT_EQ(o.items(0).store_name(), "Toys");
  EXPECT_TRUE(cached("SELECT 1 FROM products_cache WHERE id = $1", toys[0].id));
  // A customer and a product nobody knows: the order is shown without their names.
  Product ghost{eda::NewUuid(), toys[0].store_id, 1.5};
  searchpb::Order unknown = WaitFor(Created(eda::NewUuid(), {{ghost, 2}}), "New");
  EXPECT_EQ(unknown.customer_name(), "");
  EXPECT_EQ(unknown.items(0).product_name(), "");
  EXPECT_EQ(unknown.items(0).store_name(), "Toys");
  EXPECT_DOUBLE_EQ(unknown.total(), 3);
}

TEST_F(SearchServiceTest, GetOrderAnswersNotFoundAndRefusesBadIds) {
  searchpb::Order o;
  const std::string id = eda::NewUuid();
  grpc::Status s = Get(id, &o);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "order " + id + " not found");
  s = Get("nope", &o);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "the order id must be a UUID");
}

TEST_F(SearchServiceTest, EveryFilterAppliesAndPagesCoverTheResultOnce) {
  const std::string cy = Customer("Cy");
  const std::string di = Customer("Di");
  std::vector<Product> a = Store("Alpha", {1, 10});
  std::vector<Product> b = Store("Beta", {5});
  const absl::Time start = absl::Now();
  std::vector<std::string> cy_orders;
  for (int i = 0; i < 7; ++i) cy_orders.push_back(Created(cy, {{a[0], i + 1}}));  // totals 1..7
  const std::string cy_big = Created(cy, {{a[1], 3}, {b[0], 1}});                 // 35, 2 stores
  const std::string di_beta = Created(di, {{b[0], 2}});                           // 10
  for (const std::string& id : cy_orders) WaitFor(id, "New");
  WaitFor(cy_big, "New");
  WaitFor(di_beta, "New");
  Event<orderingpb::OrderApproved>(api::kOrderApproved, cy_orders[6]);
  WaitFor(cy_orders[6], "Approved");

  searchpb::SearchOrdersRequest by_cy;
  by_cy.mutable_filters()->set_customer_id(cy);
  std::vector<std::string> all = SearchAll(by_cy, 3);
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 8u);  // no order twice
  EXPECT_EQ(all.front(), cy_big);                                       // newest first
  EXPECT_EQ(all.back(), cy_orders[0]);
  EXPECT_EQ(SearchAll(by_cy, 100), all);  // the same order whatever the page size

  searchpb::SearchOrdersRequest q = by_cy;
  q.mutable_filters()->set_min_total(3);
  q.mutable_filters()->set_max_total(5);
  EXPECT_THAT(SearchAll(q, 10), ElementsAre(cy_orders[4], cy_orders[3], cy_orders[2]));

  q = searchpb::SearchOrdersRequest();
  q.mutable_filters()->add_store_ids(b[0].store_id);
  EXPECT_THAT(SearchAll(q, 10), ElementsAre(di_beta, cy_big));
  q.mutable_filters()->set_customer_id(di);
  EXPECT_THAT(SearchAll(q, 10), ElementsAre(di_beta));

  q = searchpb::SearchOrdersRequest();
  q.mutable_filters()->add_product_ids(a[1].id);
  q.mutable_filters()->add_product_ids(b[0].id);
  EXPECT_THAT(SearchAll(q, 10), ElementsAre(di_beta, cy_big));

  q = by_cy;
  q.mutable_filters()->set_status("approved");
  EXPECT_THAT(SearchAll(q, 10), ElementsAre(cy_orders[6]));

  q = by_cy;
  q.mutable_filters()->mutable_after()->set_seconds(absl::ToUnixSeconds(start) - 5);
  q.mutable_filters()->mutable_before()->set_seconds(absl::ToUnixSeconds(start) - 1);
  EXPECT_TRUE(SearchAll(q, 10).empty());
  q.mutable_filters()->mutable_before()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 60);
  EXPECT_EQ(SearchAll(q, 10).size(), 8u);
}

TEST_F(SearchServiceTest, BadSearchesAreRefusedNamingTheProblem) {
  auto refused = [&](const searchpb::SearchOrdersRequest& req) {
    searchpb::SearchOrdersResponse resp;
    grpc::Status s = Call(&Stub::SearchOrders, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    return s.error_message();
  };
  searchpb::SearchOrdersRequest q;
  q.set_limit(101);
  EXPECT_EQ(refused(q), "limit must be between 0 and 100");
  q = searchpb::SearchOrdersRequest();
  q.set_next("c1.garbage!");
  EXPECT_EQ(refused(q), "next is not a cursor of SearchOrders");
  q = searchpb::SearchOrdersRequest();
  q.mutable_filters()->set_status("shipped");
  EXPECT_EQ(refused(q),
            "status must be one of New, Approved, Rejected, Ready For Pickup, Canceled, Completed");
  q = searchpb::SearchOrdersRequest();
  q.mutable_filters()->add_store_ids("x");
  EXPECT_EQ(refused(q), "the store id must be a UUID");
  q = searchpb::SearchOrdersRequest();
  q.mutable_filters()->set_min_total(-1);
  EXPECT_EQ(refused(q), "min_total must be a non-negative amount");
  q.mutable_filters()->set_min_total(std::nan(""));
  EXPECT_EQ(refused(q), "min_total must be a non-negative amount");
  q.mutable_filters()->set_min_total(9);
  q.mutable_filters()->set_max_total(2);
  EXPECT_EQ(refused(q), "min_total must not exceed max_total");
  q = searchpb::SearchOrdersRequest();
  q.mutable_filters()->mutable_after()->set_seconds(20);
  q.mutable_filters()->mutable_before()->set_seconds(10);
  EXPECT_EQ(refused(q), "after must be before before");
}

TEST_F(SearchServiceTest, ACorruptedReadModelIsRebuiltFromTheStreamWhileServing) {
  const std::string eve = Customer("Eve");
  std::vector<Product> shop = Store("Shop", {2});
  std::vector<std::string> orders;
  for (int i = 0; i < 30; ++i) orders.push_back(Created(eve, {{shop[0], i + 1}}));
  Event<orderingpb::OrderApproved>(api::kOrderApproved, orders[0]);
  Event<orderingpb::OrderCanceled>(api::kOrderCanceled, orders[1]);
  WaitFor(orders[0], "Approved");
  WaitFor(orders[1], "Canceled");
  for (const std::string& id : orders)
    WaitFor(id, id == orders[0] ? "Approved" : id == orders[1] ? "Canceled" : "New");
  auto conn = eda::pg::Connection::Open(service_->dsn());
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto index_names = [&] {
    auto r = conn->Exec(
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes "
        "WHERE schemaname = 'public' AND tablename = 'orders'");
    return r.ok() ? std::string(r->Text(0, 0)) : r.status().ToString();
  };
  const std::string indexes = index_names();
  // Corrupted: a row lost, another with a wrong status and name.
  ASSERT_TRUE(conn->Exec("DELETE FROM orders WHERE order_id = $1", {orders[5]}).ok());
  ASSERT_TRUE(conn->Exec("UPDATE orders SET status = 'Lost', customer_name = 'X' "
                         "WHERE order_id = $1",
                         {orders[1]})
                  .ok());
  searchpb::Order o;
  EXPECT_EQ(Get(orders[5], &o).error_code(), grpc::StatusCode::NOT_FOUND);

  // Rebuilt while events keep coming and the service answers.
  std::atomic<bool> stop{false};
  std::vector<std::string> during;
  std::thread writer([&] {
    while (!stop.load() && during.size() < 200) {
      during.push_back(Created(eve, {{shop[0], 1}}));
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  absl::StatusOr<std::string> out =
      testing::CommandOutput({std::getenv("MALLCTL_BIN"), "rebuild", "search", "orders",
                              "--addr=127.0.0.1:" + std::to_string(service_->admin_port())});
  stop = true;
  writer.join();
  ASSERT_TRUE(out.ok()) << out.status() << "\n" << service_->LogTail();
  EXPECT_THAT(*out, ::testing::HasSubstr("orders: replaying"));
  EXPECT_THAT(*out, ::testing::HasSubstr("orders: done"));

  EXPECT_EQ(WaitFor(orders[5], "New").customer_name(), "Eve");
  EXPECT_EQ(WaitFor(orders[1], "Canceled").customer_name(), "Eve");
  WaitFor(orders[0], "Approved");
  for (const std::string& id : during) WaitFor(id, "New");  // nothing that came meanwhile lost
  EXPECT_EQ(index_names(), indexes);  // the same indexes, under the same names
  auto count = conn->Exec("SELECT count(*) FROM orders WHERE customer_id = $1", {eve});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(std::string(count->Text(0, 0)), std::to_string(30 + during.size()));

  // The caches too; and a read model it does not have is named.
  ASSERT_TRUE(conn->Exec("DELETE FROM customers_cache WHERE id = $1", {eve}).ok());
  out = testing::CommandOutput({std::getenv("MALLCTL_BIN"), "rebuild", "search", "customers",
                                "--addr=127.0.0.1:" + std::to_string(service_->admin_port())});
  ASSERT_TRUE(out.ok()) << out.status();
  auto cached = conn->Exec("SELECT name FROM customers_cache WHERE id = $1", {eve});
  ASSERT_TRUE(cached.ok());
  ASSERT_EQ(cached->rows(), 1);
  EXPECT_EQ(std::string(cached->Text(0, 0)), "Eve");
  out = testing::CommandOutput({std::getenv("MALLCTL_BIN"), "rebuild", "search", "nope",
                                "--addr=127.0.0.1:" + std::to_string(service_->admin_port())});
  EXPECT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(),
              ::testing::HasSubstr("search has no read model 'nope' (it has: orders, customers, "
                                   "stores, products)"));
}

}  // namespace
}  // namespace search
