// File: shopper.h
// A customer of the mall, as code: opens stores, registers customers, fills baskets, checks out,
// waits for the order's saga and the robots, pays the invoice. The end-to-end tests, the saga
// benchmark and the `shopper` tool drive the system through it, over the services' public gRPC
// APIs only.
//
//   mallbots::Mall mall({.stores = "127.0.0.1:59100", ...});
//   EDA_ASSIGN_OR_RETURN(mallbots::Store store, mall.OpenStore("Books", {2.5, 4}));
//   EDA_ASSIGN_OR_RETURN(std::string customer, mall.RegisterCustomer("Ada"));
//   EDA_ASSIGN_OR_RETURN(std::string order, mall.Checkout(customer, {{store.products[0], 2}}));
//   EDA_ASSIGN_OR_RETURN(std::string status, mall.WaitForOrder(order, {"ready"},
//   absl::Seconds(30)));
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/service/peers.h"
#include "proto/baskets/baskets_service.grpc.pb.h"
#include "proto/customers/customers_service.grpc.pb.h"
#include "proto/depot/depot_service.grpc.pb.h"
#include "proto/ordering/ordering_service.grpc.pb.h"
#include "proto/payments/payments_service.grpc.pb.h"
#include "proto/stores/stores_service.grpc.pb.h"

namespace mallbots {

// host:port of each service's gRPC API.
struct Endpoints {
  std::string stores;
  std::string customers;
  std::string baskets;
  std::string ordering;
  std::string payments;
  std::string depot;
  // From MALLBOTS_GRPC_<SERVICE> (the variables `make up` writes to .mallbots/stack.env).
  static absl::StatusOr<Endpoints> FromEnvironment();
};

struct Product {
  std::string id;
  double price = 0;
};
struct Store {
  std::string id;
  std::vector<Product> products;
};
struct Line {
  Product product;
  int quantity = 1;
};

class Mall final {
 public:
  explicit Mall(const Endpoints& endpoints, absl::Duration timeout = absl::Seconds(10));

  // A new store with one product per price.
  absl::StatusOr<Store> OpenStore(const std::string& name, const std::vector<double>& prices);
  absl::Status RemoveProduct(const std::string& product_id);
  absl::StatusOr<std::string> RegisterCustomer(const std::string& name);
  absl::Status DisableCustomer(const std::string& id);
  absl::StatusOr<std::string> AuthorizePayment(const std::string& customer_id, double amount);

  absl::StatusOr<std::string> StartBasket(const std::string& customer_id);
  absl::Status AddItem(const std::string& basket_id, const Line& line);
  absl::Status CheckoutBasket(const std::string& basket_id, const std::string& payment_id);
  // A basket filled with `lines` and checked out with a payment authorized for its total (or for
  // `authorize` when given). Returns the order id (= the basket id).
  absl::StatusOr<std::string> Checkout(const std::string& customer_id,
                                       const std::vector<Line>& lines,
                                       std::optional<double> authorize = std::nullopt);

  // The order's status ("" while ordering does not know it yet).
  absl::StatusOr<std::string> OrderStatus(const std::string& order_id);
  // Waits until the order's status is one of `statuses` (or the time is up); returns the last
  // status seen. Errors: DeadlineExceeded naming the last status.
  absl::StatusOr<std::string> WaitForOrder(const std::string& order_id,
                                           const std::set<std::string>& statuses,
                                           absl::Duration timeout,
                                           absl::Duration poll = absl::Milliseconds(20));
  absl::Status CancelOrder(const std::string& order_id);
  // The invoice of an order (its id is the order id), once payments has made it.
  absl::StatusOr<paymentspb::Invoice> Invoice(const std::string& order_id);
  // Waits until payments has made the invoice of a readied order.
  absl::StatusOr<paymentspb::Invoice> WaitForInvoice(const std::string& order_id,
                                                     absl::Duration timeout);
  absl::Status PayInvoice(const std::string& order_id);
  absl::StatusOr<paymentspb::Payment> Payment(const std::string& payment_id);
  absl::StatusOr<depotpb::ShoppingList> ShoppingList(const std::string& id);
  absl::Status CancelShoppingList(const std::string& id);
  // Does a robot's work once: claims the oldest available shopping list for `bot_id` and
  // completes it. Errors: NotFound when no list is available.
  absl::Status ShopAsRobot(const std::string& bot_id);

 private:
  eda::service::PeerClient<storespb::StoresService> stores_;
  eda::service::PeerClient<customerspb::CustomersService> customers_;
  eda::service::PeerClient<basketspb::BasketService> baskets_;
  eda::service::PeerClient<orderingpb::OrderingService> ordering_;
  eda::service::PeerClient<paymentspb::PaymentsService> payments_;
  eda::service::PeerClient<depotpb::DepotService> depot_;
};

// One order from a new basket to `completed` with its invoice paid: checkout, the saga
// (`approved`), the robots (`ready`), the payment (`completed`). `report` is told each step and
// the time it took. The robots must be running, or `play_robot` does their work. Returns the
// order id.
struct OrderStep {
  std::string name;
  absl::Duration took;
  std::string detail;
};
absl::StatusOr<std::string> RunOrder(Mall& mall, const std::string& customer_id,
                                     const std::vector<Line>& lines, absl::Duration timeout,
                                     const std::function<void(const OrderStep&)>& report,
                                     bool play_robot = false);

}  // namespace mallbots
