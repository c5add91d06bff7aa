#include "tools/loadgen/loadgen.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "libs/common/ids.h"
#include "libs/common/status_macros.h"
#include "libs/common/validation.h"
#include "tools/loadgen/clients.h"
#include "tools/loadgen/invariants.h"

namespace mallbots::loadgen {
namespace {

constexpr int kMinStores = 3;  // stores with products the load needs; made when missing
constexpr int kProductsPerStore = 5;
constexpr absl::Duration kVisitLimit = absl::Seconds(30);  // a visit's calls before its checkout

bool IsFinal(const std::string& status) {
  return status == "completed" || status == "rejected" || status == "cancelled";
}

// The nearest-rank percentile `p` (0-100) of `sorted`; 0 when empty.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// What the customers share: the clients, the stop condition, the counters and the orders done.
// Thread-safe.
class Load final {
 public:
  Load(const Options& options, const Endpoints& endpoints)
      : options_(options), clients_(endpoints, options.rpc_timeout), start_(absl::Now()) {}

  const Options& options() const { return options_; }
  const Clients& clients() const { return clients_; }
  Failures* failures() { return &failures_; }
  absl::Time start() const { return start_; }

  // True once the load is over (its time, its orders, or a stop request); the first call that
  // sees it so starts the settle period of the orders in flight.
  bool Over() {
    if (settle_until_ns_.load() != kOpen) return true;
    const bool over =
        (options_.duration > absl::ZeroDuration() && absl::Now() >= start_ + options_.duration) ||
        (options_.orders > 0 && reserved_.load() >= options_.orders) ||
        (options_.stop && options_.stop());
    if (over) EndLoad();
    return over;
  }
  void EndLoad() {
    int64_t open = kOpen;
    const absl::Time now = absl::Now();
    if (settle_until_ns_.compare_exchange_strong(
            open, absl::ToUnixNanos(now + options_.settle_timeout))) {
      {
        absl::MutexLock lock(&mu_);
        load_end_ = now;
      }
      if (options_.load_ended) options_.load_ended();
    }
  }
  // A checkout of the order limit; false when it is reached.
  bool ReserveOrder() {
    if (options_.orders <= 0) return true;
    if (reserved_.fetch_add(1) < options_.orders) return true;
    reserved_.fetch_sub(1);
    return false;
  }
  void ReleaseOrder() {
    if (options_.orders > 0) reserved_.fetch_sub(1);
  }
  // How long the calls about an order checked out at `at` may go on.
  absl::Time OrderDeadline(absl::Time at) const {
    return std::min(at + options_.order_timeout, SettleDeadline());
  }
  absl::Time VisitDeadline() const { return std::min(absl::Now() + kVisitLimit, SettleDeadline()); }
  absl::Time SettleDeadline() const {
    const int64_t ns = settle_until_ns_.load();
    return ns == kOpen ? absl::InfiniteFuture() : absl::FromUnixNanos(ns);
  }

  void CheckedOut() {
    checkouts_.fetch_add(1);
    in_flight_.fetch_add(1);
  }
  // An order its customer followed as far as it could.
  void Done(OrderRecord order) {
    absl::MutexLock lock(&mu_);
    in_flight_.fetch_sub(1);
    ++by_status_[IsFinal(order.status) ? order.status : "unfinished"];
    if (order.status == "completed") {
      latencies_ms_.push_back(absl::ToDoubleMilliseconds(order.final_at - order.checkout_at));
    }
    orders_.push_back(std::move(order));
  }
  void Count(const std::string& what) {
    absl::MutexLock lock(&mu_);
    ++events_[what];
  }

  // A progress line: the orders per second since the last line, among the rest.
  std::string Progress() {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    const int64_t checkouts = checkouts_.load();
    const double rate = static_cast<double>(checkouts - last_checkouts_) /
                        std::max(1e-3, absl::ToDoubleSeconds(now - last_progress_));
    last_checkouts_ = checkouts;
    last_progress_ = now;
    std::vector<double> sorted = latencies_ms_;
    std::sort(sorted.begin(), sorted.end());
    return absl::StrFormat(
        "[%6.1fs] orders %d (%.1f/s)  completed %d  rejected %d  cancelled %d  in-flight %d  "
        "p50 %.0f ms  p99 %.0f ms  retries %d",
        absl::ToDoubleSeconds(now - start_), checkouts, rate, by_status_["completed"],
        by_status_["rejected"], by_status_["cancelled"], in_flight_.load(), Percentile(sorted, 50),
        Percentile(sorted, 99), failures_.total());
  }

  // The report of the load (the checks add their findings).
  Report Summary() {
    absl::MutexLock lock(&mu_);
    Report r;
    r.orders = checkouts_.load();
    r.completed = by_status_["completed"];
    r.rejected = by_status_["rejected"];
    r.cancelled = by_status_["cancelled"];
    r.unfinished = by_status_["unfinished"];
    r.baskets_cancelled = events_["basket cancelled"];
    r.cancels_too_late = events_["cancel too late"];
    r.failed_visits = events_["visit failed"];
    r.retries = failures_.total();
    r.failures = failures_.by_what();
    r.load_time = (load_end_ == absl::InfinitePast() ? absl::Now() : load_end_) - start_;
    r.orders_per_s =
        static_cast<double>(r.orders) / std::max(1e-3, absl::ToDoubleSeconds(r.load_time));
    std::vector<double> sorted = latencies_ms_;
    std::sort(sorted.begin(), sorted.end());
    r.p50_ms = Percentile(sorted, 50);
    r.p99_ms = Percentile(sorted, 99);
    return r;
  }
  std::vector<OrderRecord> TakeOrders() {
    absl::MutexLock lock(&mu_);
    return std::move(orders_);
  }

 private:
  static constexpr int64_t kOpen = INT64_MAX;

  // Constant after construction
  const Options options_;
  const Clients clients_;
  const absl::Time start_;

  std::atomic<int64_t> settle_until_ns_{kOpen};
  std::atomic<int64_t> reserved_{0};
  std::atomic<int64_t> checkouts_{0};
  std::atomic<int64_t> in_flight_{0};
  Failures failures_;

  absl::Mutex mu_;
  // Guarded by mu_
  absl::Time load_end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::map<std::string, int64_t> by_status_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> events_ ABSL_GUARDED_BY(mu_);
  std::vector<double> latencies_ms_ ABSL_GUARDED_BY(mu_);
  std::vector<OrderRecord> orders_ ABSL_GUARDED_BY(mu_);
  int64_t last_checkouts_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_progress_ ABSL_GUARDED_BY(mu_) = absl::Now();
};

// One simulated customer, on its own thread: registers, then visits the mall until the load is
// over. Its random choices come from its own generator, seeded from the load's seed.
class Customer final {
 public:
  Customer(Load& load, int index)
      : load_(load), c_(load.clients()), rng_(load.options().seed * 1000003 + index) {}

  void Run() {
    if (absl::StatusOr<std::string> id = Register(); id.ok()) {
      id_ = *id;
    } else {
      load_.Count("visit failed");
      return;
    }
    while (!load_.Over()) Visit();
  }

 private:
  struct Pick {
    std::string product_id;
    int quantity = 1;
  };

  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <typename T>
  const T& OneOf(const google::protobuf::RepeatedPtrField<T>& items) {
    return items.Get(Uniform(0, items.size() - 1));
  }
  void Pause(const absl::Status& failure, absl::Duration& backoff) {
    load_.failures()->Add(failure);
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }

  // A new customer; an answer lost registers another one (the first stays unused).
  absl::StatusOr<std::string> Register() {
    customerspb::RegisterCustomerRequest req;
    req.set_name(absl::StrCat("Shopper ", eda::RandomHex(3)));
    req.set_sms_number("555-0100");
    EDA_ASSIGN_OR_RETURN(auto resp,
                         Retry([&] { return c_.customers.Call(&Customers::RegisterCustomer, req); },
                               load_.VisitDeadline(), load_.failures()));
    return resp.id();
  }

  void Visit() {
    const absl::Time until = load_.VisitDeadline();
    std::vector<Pick> picks = Browse(until);
    if (picks.empty()) return;  // nothing to buy (or stores unreachable): counted by Browse
    absl::StatusOr<std::string> basket = StartBasket(until);
    if (!basket.ok()) return Failed();
    for (const Pick& pick : picks) {
      absl::Status s = AddItem(*basket, pick, until);
      if (IsTransient(s)) return Failed();  // the basket stays open, unused
    }
    if (Chance(load_.options().basket_cancel_fraction)) {
      if (CancelBasket(*basket, until).ok()) load_.Count("basket cancelled");
      return;
    }
    auto held = Retry([&] { return GetBasket(*basket); }, until, load_.failures());
    if (!held.ok()) return Failed();
    if (held->items().empty()) return;  // every product was refused (e.g. removed meanwhile)
    if (!load_.ReserveOrder()) {
      CancelBasket(*basket, until).IgnoreError();
      return;
    }
    OrderRecord order = Order(*basket, *held);
    absl::StatusOr<std::string> payment = Authorize(order, until);
    if (!payment.ok()) {
      load_.ReleaseOrder();
      return Failed();
    }
    order.payment_id = *payment;
    order.checkout_at = absl::Now();
    absl::Status checked_out = Checkout(order, load_.OrderDeadline(order.checkout_at));
    if (!checked_out.ok() && !IsTransient(checked_out)) {  // refused: no order
      load_.ReleaseOrder();
      return Failed();
    }
    order.checkout_confirmed = checked_out.ok();
    load_.CheckedOut();
    Follow(order);
    load_.Done(std::move(order));
  }

  void Failed() { load_.Count("visit failed"); }

  // Looks at one or two stores and a product or two of each; returns what to buy.
  std::vector<Pick> Browse(absl::Time until) {
    std::vector<Pick> picks;
    auto stores =
        Retry([&] { return c_.stores.Call(&Stores::GetStores, storespb::GetStoresRequest()); },
              until, load_.failures());
    if (!stores.ok() || stores->stores().empty()) {
      Failed();
      return picks;
    }
    for (int s = Uniform(1, 2); s > 0; --s) {
      const storespb::Store& store = OneOf(stores->stores());
      storespb::GetCatalogRequest req;
      req.set_store_id(store.id());
      auto catalog =
          Retry([&] { return c_.stores.Call(&Stores::GetCatalog, req); }, until, load_.failures());
      if (!catalog.ok() || catalog->products().empty()) continue;
      for (int p = Uniform(1, 2); p > 0; --p) {
        const storespb::Product& product = OneOf(catalog->products());
        auto seen = Retry(
            [&] {
              return c_.stores.Call(&Stores::GetProduct,
                                    WithId<storespb::GetProductRequest>(product.id()));
            },
            until, load_.failures());
        if (seen.ok()) picks.push_back({.product_id = product.id(), .quantity = Uniform(1, 4)});
      }
    }
    return picks;
  }

  // A new basket; an answer lost starts another one (the first stays open, unused).
  absl::StatusOr<std::string> StartBasket(absl::Time until) {
    basketspb::StartBasketRequest req;
    req.set_customer_id(id_);
    EDA_ASSIGN_OR_RETURN(auto resp,
                         Retry([&] { return c_.baskets.Call(&Baskets::StartBasket, req); }, until,
                               load_.failures()));
    return resp.id();
  }

  absl::StatusOr<basketspb::Basket> GetBasket(const std::string& id) const {
    EDA_ASSIGN_OR_RETURN(
        auto resp, c_.baskets.Call(&Baskets::GetBasket, WithId<basketspb::GetBasketRequest>(id)));
    return resp.basket();
  }
  static int QuantityOf(const basketspb::Basket& basket, const std::string& product) {
    for (const basketspb::Item& item : basket.items()) {
      if (item.product_id() == product) return item.quantity();
    }
    return 0;
  }

  // Adds a pick to the basket. Adding is not idempotent (it adds to the line): after a lost
  // answer the line is read back, and the item added again only when the line lacks it.
  absl::Status AddItem(const std::string& basket, const Pick& pick, absl::Time until) {
    auto before = Retry([&] { return GetBasket(basket); }, until, load_.failures());
    if (!before.ok()) return before.status();
    const int held = QuantityOf(*before, pick.product_id);
    basketspb::AddItemRequest req;
    req.set_id(basket);
    req.set_product_id(pick.product_id);
    req.set_quantity(pick.quantity);
    absl::Duration backoff = absl::Milliseconds(50);
    while (true) {
      absl::Status s = c_.baskets.Call(&Baskets::AddItem, req).status();
      if (!IsTransient(s)) return s;
      auto now = Retry([&] { return GetBasket(basket); }, until, load_.failures());
      if (!now.ok()) return now.status();
      const int quantity = QuantityOf(*now, pick.product_id);
      if (quantity == held + pick.quantity) return absl::OkStatus();  // it was added
      if (quantity != held) {
        return absl::InternalError(absl::StrCat("basket ", basket, " holds ", quantity, " of ",
                                                pick.product_id, ", expected ", held, " or ",
                                                held + pick.quantity));
      }
      if (absl::Now() >= until) return s;
      Pause(s, backoff);
    }
  }

  // Cancels a basket; after a lost answer a refusal means it was cancelled already.
  absl::Status CancelBasket(const std::string& basket, absl::Time until) {
    bool unknown = false;
    absl::Duration backoff = absl::Milliseconds(50);
    while (true) {
      absl::Status s =
          c_.baskets.Call(&Baskets::CancelBasket, WithId<basketspb::CancelBasketRequest>(basket))
              .status();
      if (unknown && absl::IsInvalidArgument(s)) return absl::OkStatus();
      if (!IsTransient(s) || absl::Now() >= until) return s;
      unknown = true;
      Pause(s, backoff);
    }
  }

  OrderRecord Order(const std::string& basket_id, const basketspb::Basket& basket) {
    OrderRecord order{.id = basket_id, .customer_id = id_};
    double total = 0;
    for (const basketspb::Item& item : basket.items()) {
      order.lines.push_back({.product_id = item.product_id(),
                             .price = item.product_price(),
                             .quantity = item.quantity()});
      total += item.product_price() * item.quantity();
    }
    order.total = eda::validate::RoundMoney(total);
    order.underpaid = Chance(load_.options().underpay_fraction);
    return order;
  }

  // A payment for the order (half of its total when it is to be underpaid); an answer lost
  // authorizes another one (the first stays unused).
  absl::StatusOr<std::string> Authorize(const OrderRecord& order, absl::Time until) {
    paymentspb::AuthorizePaymentRequest req;
    req.set_customer_id(id_);
    req.set_amount(order.underpaid ? eda::validate::RoundMoney(order.total / 2) : order.total);
    EDA_ASSIGN_OR_RETURN(
        auto resp, Retry([&] { return c_.payments.Call(&Payments::AuthorizePayment, req); }, until,
                         load_.failures()));
    return resp.id();
  }

  // Checks the basket out. OK when it is; a transient failure when its outcome stayed unknown
  // until `until`; a refusal otherwise. A basket is checked out once: after a lost answer, the
  // order (its id is the basket's) shows a checkout that happened, and a repeated checkout is
  // refused as "cannot be modified" when one happened (this customer never cancels a basket it
  // checks out).
  absl::Status Checkout(const OrderRecord& order, absl::Time until) {
    basketspb::CheckoutBasketRequest req;
    req.set_id(order.id);
    req.set_payment_id(order.payment_id);
    bool unknown = false;
    absl::Duration backoff = absl::Milliseconds(50);
    while (true) {
      absl::Status s = c_.baskets.Call(&Baskets::CheckoutBasket, req).status();
      if (s.ok()) return s;
      if (unknown && absl::IsInvalidArgument(s) &&
          absl::StrContains(s.message(), "cannot be modified")) {
        return absl::OkStatus();
      }
      if (!IsTransient(s)) return s;
      unknown = true;
      if (absl::StatusOr<std::string> status = OrderStatus(order.id);
          status.ok() && !status->empty()) {
        return absl::OkStatus();
      }
      if (absl::Now() >= until) return s;
      Pause(s, backoff);
    }
  }

  // The order's status; "" while ordering does not know it.
  absl::StatusOr<std::string> OrderStatus(const std::string& id) const {
    auto resp = c_.ordering.Call(&Ordering::GetOrder, WithId<orderingpb::GetOrderRequest>(id));
    if (absl::IsNotFound(resp.status())) return std::string();
    if (!resp.ok()) return resp.status();
    return resp->order().status();
  }

  // Follows the order to a final status (or its deadline): cancels it while pending when this
  // customer wants to, pays its invoice once it is ready.
  void Follow(OrderRecord& order) {
    const absl::Time until = load_.OrderDeadline(order.checkout_at);
    enum class Cancel {
      kNo,
      kWanted,
      kUnknown
    } cancel = Chance(load_.options().order_cancel_fraction) ? Cancel::kWanted : Cancel::kNo;
    bool paid = false;
    while (true) {
      absl::StatusOr<std::string> status = OrderStatus(order.id);
      if (status.ok()) {
        order.status = *status;
        if (!status->empty()) order.checkout_confirmed = true;
      } else {
        load_.failures()->Add(status.status());
      }
      if (IsFinal(order.status)) {
        order.final_at = absl::Now();
        if (order.status == "cancelled" && cancel == Cancel::kUnknown) order.cancelled = true;
        return;
      }
      if (order.status == "pending" && cancel != Cancel::kNo) {
        order.cancel_sent = true;
        absl::Status s =
            c_.ordering
                .Call(&Ordering::CancelOrder, WithId<orderingpb::CancelOrderRequest>(order.id))
                .status();
        if (s.ok()) {
          order.cancelled = true;
          cancel = Cancel::kNo;
        } else if (IsTransient(s)) {
          cancel = Cancel::kUnknown;  // read back: cancelled, or still pending and sent again
        } else if (cancel == Cancel::kWanted) {  // the saga approved it first
          load_.Count("cancel too late");
          cancel = Cancel::kNo;
        } else {
          cancel = Cancel::kNo;
        }
        continue;
      }
      if (order.status == "ready" && !paid) paid = PayInvoice(order.id);
      if (absl::Now() >= until) return;
      absl::SleepFor(load_.options().poll);
    }
  }

  // Pays the order's invoice once payments has made it; true once it is paid. Reads the invoice
  // first, so a payment whose answer was lost is not made again.
  bool PayInvoice(const std::string& order_id) {
    auto invoice =
        c_.payments.Call(&Payments::GetInvoice, WithId<paymentspb::GetInvoiceRequest>(order_id));
    if (!invoice.ok()) return false;  // not made yet, or payments unreachable: asked again
    if (invoice->invoice().status() == "paid") return true;
    if (invoice->invoice().status() != "pending") return false;
    absl::Status s =
        c_.payments.Call(&Payments::PayInvoice, WithId<paymentspb::PayInvoiceRequest>(order_id))
            .status();
    return s.ok();
  }

  using Stores = storespb::StoresService::Stub;
  using Customers = customerspb::CustomersService::Stub;
  using Baskets = basketspb::BasketService::Stub;
  using Ordering = orderingpb::OrderingService::Stub;
  using Payments = paymentspb::PaymentsService::Stub;

  Load& load_;
  const Clients& c_;
  std::mt19937_64 rng_;
  std::string id_;
};

// Makes stores with products until kMinStores of them have some (an empty mall has nothing to
// sell). Prices are 1.00-20.00 from `seed`.
absl::Status EnsureCatalog(const Clients& c, uint64_t seed) {
  using Stub = storespb::StoresService::Stub;
  EDA_ASSIGN_OR_RETURN(auto stores, c.stores.Call(&Stub::GetStores, storespb::GetStoresRequest()));
  int stocked = 0;
  for (const storespb::Store& store : stores.stores()) {
    storespb::GetCatalogRequest req;
    req.set_store_id(store.id());
    EDA_ASSIGN_OR_RETURN(auto catalog, c.stores.Call(&Stub::GetCatalog, req));
    if (!catalog.products().empty() && ++stocked >= kMinStores) return absl::OkStatus();
  }
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> cents(100, 2000);
  for (; stocked < kMinStores; ++stocked) {
    storespb::CreateStoreRequest create;
    create.set_name(absl::StrCat("Loadgen Store ", eda::RandomHex(3)));
    create.set_location("Level 2");
    EDA_ASSIGN_OR_RETURN(auto created, c.stores.Call(&Stub::CreateStore, create));
    for (int i = 1; i <= kProductsPerStore; ++i) {
      storespb::AddProductRequest add;
      add.set_store_id(created.id());
      add.set_name(absl::StrCat("Item ", i));
      add.set_sku(absl::StrCat("LG-", i));
      add.set_price(cents(rng) / 100.0);
      EDA_RETURN_IF_ERROR(c.stores.Call(&Stub::AddProduct, add).status());
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string Report::Json() const {
  return absl::StrFormat(
      "{\"orders\":%d,\"completed\":%d,\"rejected\":%d,\"cancelled\":%d,\"unfinished\":%d,"
      "\"orders_per_s\":%.2f,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"violations\":%d,"
      "\"unresolved\":%d,\"baskets_cancelled\":%d,\"cancels_too_late\":%d,\"retries\":%d,"
      "\"failed_visits\":%d,\"load_s\":%.1f}",
      orders, completed, rejected, cancelled, unfinished, orders_per_s, p50_ms, p99_ms,
      violations.size(), unresolved, baskets_cancelled, cancels_too_late, retries, failed_visits,
      absl::ToDoubleSeconds(load_time));
}

Report Run(const Options& options, const Endpoints& endpoints, std::ostream& progress) {
  Load load(options, endpoints);
  progress << "loadgen: " << options.customers << " customers, seed " << options.seed
           << (options.orders > 0 ? absl::StrCat(", ", options.orders, " orders") : "")
           << (options.duration > absl::ZeroDuration()
                   ? absl::StrCat(", for ", absl::FormatDuration(options.duration))
                   : "")
           << std::endl;
  if (absl::Status s = Retry([&] { return EnsureCatalog(load.clients(), options.seed); },
                             absl::Now() + absl::Seconds(30), nullptr);
      !s.ok()) {
    Report report;
    report.violations.push_back(
        {"setup", "", absl::StrCat("no catalog to shop from: ", s.ToString())});
    return report;
  }
  absl::Notification finished;
  std::thread reporter([&] {
    if (options.report_every <= absl::ZeroDuration()) return;
    while (!finished.WaitForNotificationWithTimeout(options.report_every)) {
      load.Over();  // a stop condition is noticed even while every customer waits for an order
      progress << load.Progress() << std::endl;
    }
  });
  std::vector<std::thread> customers;
  for (int i = 0; i < options.customers; ++i) {
    customers.emplace_back([&load, i] { Customer(load, i).Run(); });
  }
  for (std::thread& t : customers) t.join();
  load.EndLoad();
  finished.Notify();
  reporter.join();
  progress << load.Progress() << std::endl;

  Report report = load.Summary();
  std::vector<OrderRecord> orders = load.TakeOrders();
  progress << "checking invariants of " << orders.size() << " orders" << std::endl;
  report.violations =
      CheckInvariants(load.clients(), options, orders, absl::Now() + options.settle_timeout,
                      &report.unresolved, &report.notes);
  // The counts as ordering has them now (the checks read every order again).
  report.orders = report.completed = report.rejected = report.cancelled = report.unfinished = 0;
  for (const OrderRecord& order : orders) {
    if (!order.checkout_confirmed) continue;
    ++report.orders;
    if (order.status == "completed") {
      ++report.completed;
    } else if (order.status == "rejected") {
      ++report.rejected;
    } else if (order.status == "cancelled") {
      ++report.cancelled;
    } else {
      ++report.unfinished;
    }
  }
  report.orders_per_s =
      static_cast<double>(report.orders) / std::max(1e-3, absl::ToDoubleSeconds(report.load_time));
  if (!report.failures.empty()) {
    progress << "transient failures:";
    for (const auto& [what, n] : report.failures) progress << " " << what << " x" << n << ";";
    progress << std::endl;
  }
  for (const std::string& note : report.notes) progress << "note: " << note << std::endl;
  for (const Violation& v : report.violations) {
    progress << "VIOLATION " << v.invariant << " " << v.id << ": " << v.detail << std::endl;
  }
  return report;
}

}  // namespace mallbots::loadgen
