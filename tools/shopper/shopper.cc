#include "tools/shopper/shopper.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"

namespace mallbots {
namespace {

using eda::service::Peer;

template <typename Req>
Req WithId(const std::string& id) {
  Req req;
  req.set_id(id);
  return req;
}

}  // namespace

absl::StatusOr<Endpoints> Endpoints::FromEnvironment() {
  Endpoints e;
  std::vector<std::string> missing;
  for (auto [service, field] :
       std::vector<std::pair<std::string, std::string*>>{{"stores", &e.stores},
                                                         {"customers", &e.customers},
                                                         {"baskets", &e.baskets},
                                                         {"ordering", &e.ordering},
                                                         {"payments", &e.payments},
                                                         {"depot", &e.depot}}) {
    const std::string variable = "MALLBOTS_GRPC_" + absl::AsciiStrToUpper(service);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || *value == '\0') {
      missing.push_back(variable);
    } else {
      *field = value;
    }
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not set: ", absl::StrJoin(missing, ", "),
                     " (a running `make up` stack writes them to .mallbots/stack.env)"));
  }
  return e;
}

Mall::Mall(const Endpoints& e, absl::Duration timeout)
    : stores_(Peer("stores", e.stores, timeout)),
      customers_(Peer("customers", e.customers, timeout)),
      baskets_(Peer("baskets", e.baskets, timeout)),
      ordering_(Peer("ordering", e.ordering, timeout)),
      payments_(Peer("payments", e.payments, timeout)),
      depot_(Peer("depot", e.depot, timeout)) {}

absl::StatusOr<Store> Mall::OpenStore(const std::string& name, const std::vector<double>& prices) {
  storespb::CreateStoreRequest create;
  create.set_name(name);
  create.set_location("Level 1");
  EDA_ASSIGN_OR_RETURN(storespb::CreateStoreResponse created,
                       stores_.Call(&storespb::StoresService::Stub::CreateStore, create));
  Store store{.id = created.id()};
  for (size_t i = 0; i < prices.size(); ++i) {
    storespb::AddProductRequest add;
    add.set_store_id(store.id);
    add.set_name(absl::StrCat(name, " product ", i + 1));
    add.set_sku(absl::StrCat("SKU-", i + 1));
    add.set_price(prices[i]);
    EDA_ASSIGN_OR_RETURN(storespb::AddProductResponse added,
                         stores_.Call(&storespb::StoresService::Stub::AddProduct, add));
    store.products.push_back({.id = added.id(), .price = prices[i]});
  }
  return store;
}

absl::Status Mall::RemoveProduct(const std::string& product_id) {
  return stores_
      .Call(&storespb::StoresService::Stub::RemoveProduct,
            WithId<storespb::RemoveProductRequest>(product_id))
      .status();
}

absl::StatusOr<std::string> Mall::RegisterCustomer(const std::string& name) {
  customerspb::RegisterCustomerRequest req;
  req.set_name(name);
  req.set_sms_number("555-0100");
  EDA_ASSIGN_OR_RETURN(
      auto resp, customers_.Call(&customerspb::CustomersService::Stub::RegisterCustomer, req));
  return resp.id();
}

absl::Status Mall::DisableCustomer(const std::string& id) {
  return customers_
      .Call(&customerspb::CustomersService::Stub::DisableCustomer,
            WithId<customerspb::DisableCustomerRequest>(id))
      .status();
}

absl::StatusOr<std::string> Mall::AuthorizePayment(const std::string& customer_id, double amount) {
  paymentspb::AuthorizePaymentRequest req;
  req.set_customer_id(customer_id);
  req.set_amount(amount);
  EDA_ASSIGN_OR_RETURN(auto resp,
                       payments_.Call(&paymentspb::PaymentsService::Stub::AuthorizePayment, req));
  return resp.id();
}

absl::StatusOr<std::string> Mall::StartBasket(const std::string& customer_id) {
  basketspb::StartBasketRequest start;
  start.set_customer_id(customer_id);
  EDA_ASSIGN_OR_RETURN(auto started,
                       baskets_.Call(&basketspb::BasketService::Stub::StartBasket, start));
  return started.id();
}

absl::Status Mall::AddItem(const std::string& basket_id, const Line& line) {
  basketspb::AddItemRequest add;
  add.set_id(basket_id);
  add.set_product_id(line.product.id);
  add.set_quantity(line.quantity);
  return baskets_.Call(&basketspb::BasketService::Stub::AddItem, add).status();
}

absl::Status Mall::CheckoutBasket(const std::string& basket_id, const std::string& payment_id) {
  basketspb::CheckoutBasketRequest checkout;
  checkout.set_id(basket_id);
  checkout.set_payment_id(payment_id);
  return baskets_.Call(&basketspb::BasketService::Stub::CheckoutBasket, checkout).status();
}

absl::StatusOr<std::string> Mall::Checkout(const std::string& customer_id,
                                           const std::vector<Line>& lines,
                                           std::optional<double> authorize) {
  EDA_ASSIGN_OR_RETURN(std::string basket, StartBasket(customer_id));
  double total = 0;
  for (const Line& line : lines) {
    EDA_RETURN_IF_ERROR(AddItem(basket, line));
    total += line.product.price * line.quantity;
  }
  EDA_ASSIGN_OR_RETURN(
      std::string payment,
      AuthorizePayment(customer_id, authorize.value_or(eda::validate::RoundMoney(total))));
  EDA_RETURN_IF_ERROR(CheckoutBasket(basket, payment));
  return basket;
}

absl::StatusOr<std::string> Mall::OrderStatus(const std::string& order_id) {
  absl::StatusOr<orderingpb::GetOrderResponse> resp = ordering_.Call(
      &orderingpb::OrderingService::Stub::GetOrder, WithId<orderingpb::GetOrderRequest>(order_id));
  if (absl::IsNotFound(resp.status())) return "";
  if (!resp.ok()) return resp.status();
  return resp->order().status();
}

absl::StatusOr<std::string> Mall::WaitForOrder(const std::string& order_id,
                                               const std::set<std::string>& statuses,
                                               absl::Duration timeout, absl::Duration poll) {
  const absl::Time until = absl::Now() + timeout;
  std::string status;
  while (true) {
    EDA_ASSIGN_OR_RETURN(status, OrderStatus(order_id));
    if (statuses.count(status) > 0) return status;
    if (absl::Now() >= until) break;
    absl::SleepFor(poll);
  }
  return absl::DeadlineExceededError(absl::StrCat("order ", order_id, " still ",
                                                  status.empty() ? "unknown" : status, " after ",
                                                  absl::FormatDuration(timeout)));
}

absl::Status Mall::CancelOrder(const std::string& order_id) {
  return ordering_
      .Call(&orderingpb::OrderingService::Stub::CancelOrder,
            WithId<orderingpb::CancelOrderRequest>(order_id))
      .status();
}

absl::StatusOr<paymentspb::Invoice> Mall::Invoice(const std::string& order_id) {
  EDA_ASSIGN_OR_RETURN(auto resp, payments_.Call(&paymentspb::PaymentsService::Stub::GetInvoice,
                                                 WithId<paymentspb::GetInvoiceRequest>(order_id)));
  return resp.invoice();
}

absl::StatusOr<paymentspb::Invoice> Mall::WaitForInvoice(const std::string& order_id,
                                                         absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  absl::StatusOr<paymentspb::Invoice> invoice = Invoice(order_id);
  while (absl::IsNotFound(invoice.status()) && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
    invoice = Invoice(order_id);
  }
  return invoice;
}

absl::Status Mall::PayInvoice(const std::string& order_id) {
  return payments_
      .Call(&paymentspb::PaymentsService::Stub::PayInvoice,
            WithId<paymentspb::PayInvoiceRequest>(order_id))
      .status();
}

absl::StatusOr<paymentspb::Payment> Mall::Payment(const std::string& payment_id) {
  EDA_ASSIGN_OR_RETURN(auto resp,
                       payments_.Call(&paymentspb::PaymentsService::Stub::GetPayment,
                                      WithId<paymentspb::GetPaymentRequest>(payment_id)));
  return resp.payment();
}

absl::StatusOr<depotpb::ShoppingList> Mall::ShoppingList(const std::string& id) {
  EDA_ASSIGN_OR_RETURN(auto resp, depot_.Call(&depotpb::DepotService::Stub::GetShoppingList,
                                              WithId<depotpb::GetShoppingListRequest>(id)));
  return resp.shopping_list();
}

absl::Status Mall::CancelShoppingList(const std::string& id) {
  return depot_
      .Call(&depotpb::DepotService::Stub::CancelShoppingList,
            WithId<depotpb::CancelShoppingListRequest>(id))
      .status();
}

absl::Status Mall::ShopAsRobot(const std::string& bot_id) {
  depotpb::ClaimShoppingListRequest claim;
  claim.set_bot_id(bot_id);
  EDA_ASSIGN_OR_RETURN(auto claimed,
                       depot_.Call(&depotpb::DepotService::Stub::ClaimShoppingList, claim));
  depotpb::CompleteShoppingListRequest complete;
  complete.set_id(claimed.shopping_list().id());
  return depot_.Call(&depotpb::DepotService::Stub::CompleteShoppingList, complete).status();
}

absl::StatusOr<std::string> RunOrder(Mall& mall, const std::string& customer_id,
                                     const std::vector<Line>& lines, absl::Duration timeout,
                                     const std::function<void(const OrderStep&)>& report,
                                     bool play_robot) {
  absl::Time start = absl::Now();
  auto step = [&](const std::string& name, const std::string& detail) {
    const absl::Time now = absl::Now();
    if (report) report({.name = name, .took = now - start, .detail = detail});
    start = now;
  };
  EDA_ASSIGN_OR_RETURN(std::string order, mall.Checkout(customer_id, lines));
  step("basket checked out", absl::StrCat("order ", order));
  EDA_ASSIGN_OR_RETURN(
      std::string status,
      mall.WaitForOrder(order, {"approved", "ready", "rejected", "cancelled"}, timeout));
  if (status == "rejected" || status == "cancelled") {
    return absl::FailedPreconditionError(absl::StrCat("order ", order, " was ", status));
  }
  step("saga done: order approved", "customer authorized, list created, payment confirmed");
  if (play_robot) EDA_RETURN_IF_ERROR(mall.ShopAsRobot("demo-robot"));
  EDA_ASSIGN_OR_RETURN(status, mall.WaitForOrder(order, {"ready"}, timeout));
  step(play_robot ? "shopped (as the robot): order ready" : "robots shopped: order ready",
       "shopping list completed");
  EDA_ASSIGN_OR_RETURN(paymentspb::Invoice invoice, mall.WaitForInvoice(order, timeout));
  step("invoice created", absl::StrCat("amount ", invoice.amount()));
  EDA_RETURN_IF_ERROR(mall.PayInvoice(order));
  step("invoice paid", "");
  EDA_ASSIGN_OR_RETURN(status, mall.WaitForOrder(order, {"completed"}, timeout));
  step("order completed", "");
  return order;
}

}  // namespace mallbots
