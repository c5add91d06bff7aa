#include "services/search/postgres/adapters.h"

#include <google/protobuf/util/json_util.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/status_macros.h"
#include "libs/service/cache_table.h"
#include "proto/customers/customers_service.grpc.pb.h"
#include "proto/stores/stores_service.grpc.pb.h"

namespace search::postgres {
namespace {

using eda::outbox::UnitOfWork;
using eda::service::PeerCache;
using eda::service::PeerClient;
using CustomersStub = customerspb::CustomersService::Stub;
using StoresStub = storespb::StoresService::Stub;

// The three caches, built once per process over the peers' clients.
struct Caches {
  Caches(eda::service::Peer customers_peer, eda::service::Peer stores_peer)
      : customers_client(std::move(customers_peer)),
        stores_client(std::move(stores_peer)),
        customers({.table = "customers_cache",
                   .columns = {"id", "name"},
                   .what = "customer",
                   .fetch = [this](const std::string& id) -> absl::StatusOr<customerspb::Customer> {
                     customerspb::GetCustomerRequest req;
                     req.set_id(id);
                     EDA_ASSIGN_OR_RETURN(auto resp,
                                          customers_client.Call(&CustomersStub::GetCustomer, req));
                     return resp.customer();
                   }}),
        stores({.table = "stores_cache",
                .columns = {"id", "name"},
                .what = "store",
                .fetch = [this](const std::string& id) -> absl::StatusOr<storespb::Store> {
                  storespb::GetStoreRequest req;
                  req.set_id(id);
                  EDA_ASSIGN_OR_RETURN(auto resp, stores_client.Call(&StoresStub::GetStore, req));
                  return resp.store();
                }}),
        products({.table = "products_cache",
                  .columns = {"id", "store_id", "name"},
                  .what = "product",
                  .fetch = [this](const std::string& id) -> absl::StatusOr<storespb::Product> {
                    storespb::GetProductRequest req;
                    req.set_id(id);
                    EDA_ASSIGN_OR_RETURN(auto resp,
                                         stores_client.Call(&StoresStub::GetProduct, req));
                    return resp.product();
                  }}) {}

  PeerClient<customerspb::CustomersService> customers_client;
  PeerClient<storespb::StoresService> stores_client;
  PeerCache<customerspb::Customer> customers;
  PeerCache<storespb::Store> stores;
  PeerCache<storespb::Product> products;
};

class Names final : public application::Names {
 public:
  Names(UnitOfWork& uow, const Caches& caches) : uow_(uow), caches_(caches) {}

  absl::StatusOr<customerspb::Customer> FindCustomer(const std::string& id) override {
    return caches_.customers.Get(uow_, id);
  }
  absl::StatusOr<storespb::Store> FindStore(const std::string& id) override {
    return caches_.stores.Get(uow_, id);
  }
  absl::StatusOr<storespb::Product> FindProduct(const std::string& id) override {
    return caches_.products.Get(uow_, id);
  }
  void CustomerRegistered(const customerspb::CustomerRegistered& e) override {
    caches_.customers.table().Insert(uow_, e);
  }
  void StoreCreated(const storespb::StoreCreated& e) override {
    caches_.stores.table().Insert(uow_, e);
  }
  void StoreRebranded(const storespb::StoreRebranded& e) override {
    caches_.stores.table().Update(uow_, e, {"name"});
  }
  void ProductAdded(const storespb::ProductAdded& e) override {
    caches_.products.table().Insert(uow_, e);
  }
  void ProductRebranded(const storespb::ProductRebranded& e) override {
    caches_.products.table().Update(uow_, e, {"name"});
  }
  void ProductRemoved(const storespb::ProductRemoved& e) override {
    caches_.products.table().Delete(uow_, e.id());
  }

 private:
  UnitOfWork& uow_;
  const Caches& caches_;
};

// A text[] literal of `values`, each quoted.
std::string ArrayLiteral(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& v : values) {
    std::string q = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    quoted.push_back(q + "\"");
  }
  return absl::StrCat("{", absl::StrJoin(quoted, ","), "}");
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}
int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// A timestamptz from microseconds since the epoch, exactly.
std::string At(size_t param) {
  return absl::StrCat("('epoch'::timestamptz + $", param, "::bigint * interval '1 microsecond')");
}

constexpr char kColumns[] =
    "order_id, customer_id, customer_name, items::text, total::float8, status, "
    "(extract(epoch from created_at) * 1000000)::bigint";

absl::StatusOr<searchpb::Order> ReadOrder(const eda::pg::Result& r, int row) {
  searchpb::Order order;
  const std::string items = absl::StrCat("{\"items\":", r.Text(row, 3), "}");
  if (!google::protobuf::util::JsonStringToMessage(items, &order).ok()) {
    return absl::InternalError(absl::StrCat("order ", r.Text(row, 0), ": unreadable items"));
  }
  order.set_order_id(std::string(r.Text(row, 0)));
  order.set_customer_id(std::string(r.Text(row, 1)));
  order.set_customer_name(std::string(r.Text(row, 2)));
  double total = 0;
  int64_t micros = 0;
  if (!absl::SimpleAtod(r.Text(row, 4), &total) || !absl::SimpleAtoi(r.Text(row, 6), &micros)) {
    return absl::InternalError(absl::StrCat("order ", r.Text(row, 0), ": unreadable row"));
  }
  order.set_total(total);
  order.set_status(std::string(r.Text(row, 5)));
  order.mutable_created_at()->set_seconds(micros / 1000000);
  order.mutable_created_at()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return order;
}

}  // namespace

SearchStatement SearchStatementOf(const application::Orders::Query& q, const std::string& table) {
  std::vector<std::string> where;
  std::vector<eda::pg::Param> params;
  auto param = [&](eda::pg::Param p) {
    params.push_back(std::move(p));
    return params.size();
  };
  if (!q.customer_id.empty())
    where.push_back(absl::StrCat("customer_id = $", param(q.customer_id)));
  if (q.after) where.push_back(absl::StrCat("created_at > ", At(param(Micros(*q.after)))));
  if (q.before) where.push_back(absl::StrCat("created_at < ", At(param(Micros(*q.before)))));
  if (!q.store_ids.empty()) {
    where.push_back(absl::StrCat("store_ids && $", param(ArrayLiteral(q.store_ids)), "::text[]"));
  }
  if (!q.product_ids.empty()) {
    where.push_back(
        absl::StrCat("product_ids && $", param(ArrayLiteral(q.product_ids)), "::text[]"));
  }
  if (q.min_total) where.push_back(absl::StrCat("total >= $", param(*q.min_total)));
  if (q.max_total) where.push_back(absl::StrCat("total <= $", param(*q.max_total)));
  if (!q.status.empty()) where.push_back(absl::StrCat("status = $", param(q.status)));
  if (q.from) {
    const size_t at = param(static_cast<int64_t>(q.from->created_at_micros()));
    where.push_back(
        absl::StrCat("(created_at, order_id) < (", At(at), ", $", param(q.from->order_id()), ")"));
  }
  std::string sql =
      absl::StrCat("SELECT ", kColumns, " FROM ", table,
                   where.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(where, " AND ")),
                   " ORDER BY created_at DESC, order_id DESC LIMIT $", param(q.limit));
  return {std::move(sql), std::move(params)};
}

namespace {

class Orders final : public application::Orders {
 public:
  Orders(UnitOfWork& uow, std::string table) : uow_(uow), table_(std::move(table)) {}

  void Add(const searchpb::Order& order) override {
    // The items as a JSON list: the printed message's "items" member.
    searchpb::Order items_only;
    *items_only.mutable_items() = order.items();
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(items_only, &json, options);
    std::string list = "[]";
    if (absl::StartsWith(json, "{\"items\":")) list = json.substr(9, json.size() - 10);
    std::vector<std::string> products, stores;
    for (const searchpb::Order::Item& i : order.items()) {
      products.push_back(i.product_id());
      if (std::find(stores.begin(), stores.end(), i.store_id()) == stores.end()) {
        stores.push_back(i.store_id());
      }
    }
    uow_.Defer(absl::StrCat("INSERT INTO ", table_,
                            " (order_id, customer_id, customer_name, items, total, status, "
                            "product_ids, store_ids, created_at) VALUES ($1, $2, $3, $4::jsonb, "
                            "$5, $6, $7::text[], $8::text[], ",
                            At(9), ") ON CONFLICT (order_id) DO NOTHING"),
               {order.order_id(), order.customer_id(), order.customer_name(), list, order.total(),
                order.status(), ArrayLiteral(products), ArrayLiteral(stores),
                static_cast<int64_t>(Micros(order.created_at()))});
  }

  void SetStatus(const std::string& order_id, const std::string& status) override {
    uow_.Defer(
        absl::StrCat("UPDATE ", table_, " SET status = $2, updated_at = now() WHERE order_id = $1"),
        {order_id, status});
  }

  absl::StatusOr<std::optional<searchpb::Order>> Find(const std::string& order_id) override {
    EDA_ASSIGN_OR_RETURN(
        eda::pg::Result r,
        uow_.tx().Exec(absl::StrCat("SELECT ", kColumns, " FROM ", table_, " WHERE order_id = $1"),
                       {order_id}));
    if (r.rows() == 0) return std::nullopt;
    return ReadOrder(r, 0);
  }

  absl::StatusOr<std::vector<searchpb::Order>> Search(const Query& q) override {
    auto [sql, params] = SearchStatementOf(q, table_);
    EDA_ASSIGN_OR_RETURN(eda::pg::Result r, uow_.tx().Exec(sql, std::move(params)));
    std::vector<searchpb::Order> out;
    for (int i = 0; i < r.rows(); ++i) {
      EDA_ASSIGN_OR_RETURN(searchpb::Order o, ReadOrder(r, i));
      out.push_back(std::move(o));
    }
    return out;
  }

 private:
  UnitOfWork& uow_;
  std::string table_;
};

}  // namespace

eda::service::UseCases<application::Ports>::PortsFactory PortsFactory(eda::service::Peer customers,
                                                                      eda::service::Peer stores) {
  return [caches = std::make_shared<Caches>(std::move(customers), std::move(stores))](
             UnitOfWork& uow, const auto& use_case) {
    Names names(uow, *caches);
    Orders orders(uow, "orders");
    application::Ports ports{names, orders};
    return use_case(ports);
  };
}

}  // namespace search::postgres
