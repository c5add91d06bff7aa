// File: application.h
// The search use cases, each run against the ports of one unit of work
// (eda::service::UseCases<Ports>): the orders projection fed by ordering's events, with the
// names of customers, stores and products from caches kept from their contexts' events (asking
// the customers and stores services on a miss), and the queries over it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/customers/customers_api.pb.h"
#include "proto/customers/customers_service.pb.h"
#include "proto/ordering/ordering_api.pb.h"
#include "proto/search/search_service.pb.h"
#include "proto/stores/stores_api.pb.h"
#include "proto/stores/stores_service.pb.h"
#include "services/search/domain/orders.h"

namespace search::application {

// The names an order is shown with. Find* errors: NotFound "<what> fallback failed: <what> was
// not located" when the peer does not know the id; the peer's other errors.
class Names {
 public:
  virtual ~Names() = default;
  virtual absl::StatusOr<customerspb::Customer> FindCustomer(const std::string& id) = 0;
  virtual absl::StatusOr<storespb::Store> FindStore(const std::string& id) = 0;
  virtual absl::StatusOr<storespb::Product> FindProduct(const std::string& id) = 0;

  virtual void CustomerRegistered(const customerspb::CustomerRegistered& e) = 0;
  virtual void StoreCreated(const storespb::StoreCreated& e) = 0;
  virtual void StoreRebranded(const storespb::StoreRebranded& e) = 0;
  virtual void ProductAdded(const storespb::ProductAdded& e) = 0;
  virtual void ProductRebranded(const storespb::ProductRebranded& e) = 0;
  virtual void ProductRemoved(const storespb::ProductRemoved& e) = 0;
};

// The orders read model.
class Orders {
 public:
  virtual ~Orders() = default;
  // Adds the order (keeping a row already there: the event came again).
  virtual void Add(const searchpb::Order& order) = 0;
  virtual void SetStatus(const std::string& order_id, const std::string& status) = 0;
  virtual absl::StatusOr<std::optional<searchpb::Order>> Find(const std::string& order_id) = 0;

  struct Query {
    std::string customer_id;
    std::optional<absl::Time> after, before;
    std::vector<std::string> store_ids, product_ids;
    std::optional<double> min_total, max_total;
    std::string status;
    std::optional<domain::Cursor> from;  // strictly older than this order
    int limit = domain::kDefaultPageSize;
  };
  // At most `limit` orders matching every filter of the query, newest first (ties by id).
  virtual absl::StatusOr<std::vector<searchpb::Order>> Search(const Query& query) = 0;
};

struct Ports {
  Names& names;
  Orders& orders;
};

// Projects ordering's OrderCreated (at `created_at`) with its customer's, stores' and products'
// names. A name its peer does not know is left empty (the order is shown without it). Errors: the
// lookups' others (e.g. Unavailable: retried).
absl::Status AddOrder(Ports& p, const orderingpb::OrderCreated& e, absl::Time created_at);
// The read model's status for an order event: New, Approved, Rejected, Ready For Pickup,
// Canceled, Completed.
absl::Status SetStatus(Ports& p, const std::string& order_id, const std::string& status);

// Errors: InvalidArgument "the order id must be a UUID"; NotFound "order <id> not found".
absl::StatusOr<searchpb::Order> GetOrder(Ports& p, const std::string& id);
// Errors: InvalidArgument naming the filter: "the customer id must be a UUID", "the store id must
// be a UUID", "the product id must be a UUID", "min_total must be a non-negative amount",
// "max_total ...", "min_total must not exceed max_total", "after must be before before",
// "status must be one of New, Approved, Rejected, Ready For Pickup, Canceled, Completed",
// "limit must be between 0 and 100", "next is not a cursor of SearchOrders".
absl::StatusOr<searchpb::SearchOrdersResponse> SearchOrders(
    Ports& p, const searchpb::SearchOrdersRequest& request);
// The query SearchOrders runs for `request` (its page size, without the extra row it asks for
// to know whether a next page exists). Errors: SearchOrders's InvalidArgument.
absl::StatusOr<Orders::Query> QueryOf(const searchpb::SearchOrdersRequest& request);

}  // namespace search::application
