#include "services/search/application/application.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace search::application {
namespace {

namespace validate = eda::validate;

// The value of a lookup, or a default when the peer does not know the id.
template <typename T>
absl::StatusOr<T> OrUnknown(absl::StatusOr<T> found) {
  if (found.status().code() == absl::StatusCode::kNotFound) return T();
  return found;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Status Amount(double amount, const char* what) {
  if (!(amount >= 0) || amount > 1e12) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be a non-negative amount"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AddOrder(Ports& p, const orderingpb::OrderCreated& e, absl::Time created_at) {
  EDA_RETURN_IF_ERROR(validate::Id(e.id(), "order"));
  searchpb::Order order;
  order.set_order_id(e.id());
  order.set_customer_id(e.customer_id());
  EDA_ASSIGN_OR_RETURN(customerspb::Customer customer,
                       OrUnknown(p.names.FindCustomer(e.customer_id())));
  order.set_customer_name(customer.name());
  std::map<std::string, std::string> store_names;
  std::vector<domain::Line> lines;
  for (const orderingpb::OrderCreated::Item& i : e.items()) {
    EDA_ASSIGN_OR_RETURN(storespb::Product product, OrUnknown(p.names.FindProduct(i.product_id())));
    if (!store_names.count(i.store_id())) {
      EDA_ASSIGN_OR_RETURN(storespb::Store store, OrUnknown(p.names.FindStore(i.store_id())));
      store_names[i.store_id()] = store.name();
    }
    searchpb::Order::Item* item = order.add_items();
    item->set_product_id(i.product_id());
    item->set_store_id(i.store_id());
    item->set_product_name(product.name());
    item->set_store_name(store_names[i.store_id()]);
    item->set_price(i.price());
    item->set_quantity(i.quantity());
    lines.push_back({.price = i.price(), .quantity = i.quantity()});
  }
  order.set_total(domain::Total(lines));
  order.set_status(domain::kNew);
  const absl::Duration since_epoch = created_at - absl::UnixEpoch();
  order.mutable_created_at()->set_seconds(absl::ToInt64Seconds(since_epoch));
  order.mutable_created_at()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(order.created_at().seconds()))));
  p.orders.Add(order);
  return absl::OkStatus();
}

absl::Status SetStatus(Ports& p, const std::string& order_id, const std::string& status) {
  EDA_RETURN_IF_ERROR(validate::Id(order_id, "order"));
  p.orders.SetStatus(order_id, status);
  return absl::OkStatus();
}

absl::StatusOr<searchpb::Order> GetOrder(Ports& p, const std::string& id) {
  EDA_RETURN_IF_ERROR(validate::Id(id, "order"));
  EDA_ASSIGN_OR_RETURN(std::optional<searchpb::Order> order, p.orders.Find(id));
  if (!order.has_value()) return absl::NotFoundError(absl::StrCat("order ", id, " not found"));
  return *std::move(order);
}

absl::StatusOr<Orders::Query> QueryOf(const searchpb::SearchOrdersRequest& request) {
  const searchpb::SearchOrdersRequest::Filters& f = request.filters();
  Orders::Query q;
  if (!f.customer_id().empty()) {
    EDA_RETURN_IF_ERROR(validate::Id(f.customer_id(), "customer"));
    q.customer_id = f.customer_id();
  }
  if (f.has_after()) q.after = FromProto(f.after());
  if (f.has_before()) q.before = FromProto(f.before());
  if (q.after && q.before && *q.after >= *q.before) {
    return absl::InvalidArgumentError("after must be before before");
  }
  for (const std::string& id : f.store_ids()) {
    EDA_RETURN_IF_ERROR(validate::Id(id, "store"));
    q.store_ids.push_back(id);
  }
  for (const std::string& id : f.product_ids()) {
    EDA_RETURN_IF_ERROR(validate::Id(id, "product"));
    q.product_ids.push_back(id);
  }
  EDA_RETURN_IF_ERROR(Amount(f.min_total(), "min_total"));
  EDA_RETURN_IF_ERROR(Amount(f.max_total(), "max_total"));
  if (f.min_total() > 0) q.min_total = f.min_total();
  if (f.max_total() > 0) q.max_total = f.max_total();
  if (q.min_total && q.max_total && *q.min_total > *q.max_total) {
    return absl::InvalidArgumentError("min_total must not exceed max_total");
  }
  if (!f.status().empty()) {
    std::optional<std::string> status = domain::CanonicalStatus(f.status());
    if (!status.has_value()) {
      return absl::InvalidArgumentError(
          "status must be one of New, Approved, Rejected, Ready For Pickup, Canceled, Completed");
    }
    q.status = *status;
  }
  EDA_ASSIGN_OR_RETURN(q.limit, domain::PageSize(request.limit()));
  if (!request.next().empty()) {
    EDA_ASSIGN_OR_RETURN(q.from, domain::DecodeCursor(request.next()));
  }
  return q;
}

absl::StatusOr<searchpb::SearchOrdersResponse> SearchOrders(
    Ports& p, const searchpb::SearchOrdersRequest& request) {
  EDA_ASSIGN_OR_RETURN(Orders::Query q, QueryOf(request));
  // One more than the page: whether a next page exists.
  const int page = q.limit;
  q.limit = page + 1;
  EDA_ASSIGN_OR_RETURN(std::vector<searchpb::Order> found, p.orders.Search(q));
  searchpb::SearchOrdersResponse response;
  for (int i = 0; i < static_cast<int>(found.size()) && i < page; ++i) {
    *response.add_orders() = std::move(found[i]);
  }
  if (static_cast<int>(found.size()) > page) {
    const searchpb::Order& last = response.orders(page - 1);
    domain::Cursor cursor;
    cursor.set_created_at_micros(last.created_at().seconds() * 1000000 +
                                 last.created_at().nanos() / 1000);
    cursor.set_order_id(last.order_id());
    response.set_next(domain::EncodeCursor(cursor));
  }
  return response;
}

}  // namespace search::application
