#include "tools/loadgen/invariants.h"

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "libs/common/validation.h"

namespace mallbots::loadgen {
namespace {

using Ordering = orderingpb::OrderingService::Stub;
using Payments = paymentspb::PaymentsService::Stub;
using Depot = depotpb::DepotService::Stub;

constexpr double kCent = 0.00005;  // money is kept to 4 decimals

bool IsFinal(const std::string& status) {
  return status == "completed" || status == "rejected" || status == "cancelled";
}

class Checker final {
 public:
  Checker(const Clients& c, absl::Time deadline) : c_(c), deadline_(deadline) {}

  std::vector<Violation>& violations() { return violations_; }
  void Add(const std::string& invariant, const std::string& id, std::string detail) {
    violations_.push_back({invariant, id, std::move(detail)});
  }

  // The order as ordering has it; nullopt when it does not know it.
  absl::StatusOr<std::optional<orderingpb::Order>> GetOrder(const std::string& id) {
    auto resp = Retry(
        [&] {
          return c_.ordering.Call(&Ordering::GetOrder, WithId<orderingpb::GetOrderRequest>(id));
        },
        deadline_, nullptr);
    if (absl::IsNotFound(resp.status())) return std::nullopt;
    if (!resp.ok()) return resp.status();
    if (resp->order().status().empty()) return std::nullopt;
    return resp->order();
  }
  absl::StatusOr<paymentspb::Invoice> GetInvoice(const std::string& id) {
    auto resp = Retry(
        [&] {
          return c_.payments.Call(&Payments::GetInvoice, WithId<paymentspb::GetInvoiceRequest>(id));
        },
        deadline_, nullptr);
    if (!resp.ok()) return resp.status();
    return resp->invoice();
  }
  absl::StatusOr<paymentspb::Payment> GetPayment(const std::string& id) {
    auto resp = Retry(
        [&] {
          return c_.payments.Call(&Payments::GetPayment, WithId<paymentspb::GetPaymentRequest>(id));
        },
        deadline_, nullptr);
    if (!resp.ok()) return resp.status();
    return resp->payment();
  }
  absl::StatusOr<depotpb::ShoppingList> GetShoppingList(const std::string& id) {
    auto resp = Retry(
        [&] {
          return c_.depot.Call(&Depot::GetShoppingList,
                               WithId<depotpb::GetShoppingListRequest>(id));
        },
        deadline_, nullptr);
    if (!resp.ok()) return resp.status();
    return resp->shopping_list();
  }

  // Reads every order until it is final or the deadline passes; `orders` get the statuses, and
  // the orders ordering knows in `known` (by id).
  void Settle(std::vector<OrderRecord>& orders, int64_t* unresolved,
              std::map<std::string, orderingpb::Order>& known) {
    std::vector<OrderRecord*> waiting;
    for (OrderRecord& order : orders) waiting.push_back(&order);
    while (true) {
      std::vector<OrderRecord*> next;
      for (OrderRecord* order : waiting) {
        absl::StatusOr<std::optional<orderingpb::Order>> o = GetOrder(order->id);
        if (o.ok() && o->has_value()) {
          order->checkout_confirmed = true;
          order->status = (*o)->status();
          known[order->id] = **o;
        }
        if (!o.ok() || !o->has_value() || !IsFinal(order->status)) next.push_back(order);
      }
      waiting = std::move(next);
      if (waiting.empty() || absl::Now() >= deadline_) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    for (OrderRecord* order : waiting) {
      if (known.count(order->id) > 0) {
        Add("final", order->id, absl::StrCat("still ", order->status, " at the settle timeout"));
      } else if (order->checkout_confirmed) {
        Add("orders", order->id, "the basket was checked out, but ordering has no such order");
      } else {
        ++*unresolved;  // its checkout's outcome stayed unknown, and no order came of it
      }
    }
  }

  // The order is the basket's: its customer, payment and lines.
  void CheckOrder(const OrderRecord& r, const orderingpb::Order& o) {
    if (o.customer_id() != r.customer_id || o.payment_id() != r.payment_id) {
      Add("orders", r.id,
          absl::StrCat("customer/payment ", o.customer_id(), "/", o.payment_id(), ", expected ",
                       r.customer_id, "/", r.payment_id));
    }
    std::map<std::string, std::pair<int, double>> lines;
    for (const OrderLine& l : r.lines) lines[l.product_id] = {l.quantity, l.price};
    bool same = o.items_size() == static_cast<int>(lines.size());
    for (const orderingpb::Item& item : o.items()) {
      auto it = lines.find(item.product_id());
      same = same && it != lines.end() && it->second.first == item.quantity() &&
             std::abs(it->second.second - item.price()) < kCent;
    }
    if (!same) Add("orders", r.id, "its lines differ from the basket's at the checkout");
    if (r.cancelled && o.status() != "cancelled") {
      Add("orders", r.id, absl::StrCat("its customer cancelled it, but it is ", o.status()));
    }
    if (o.status() == "cancelled" && !r.cancel_sent) {
      Add("orders", r.id, "cancelled, but its customer never asked to");
    }
    if (r.underpaid && o.status() == "completed") {
      Add("orders", r.id, "completed with a payment authorized below its total");
    }
  }

  static double Total(const orderingpb::Order& o) {
    double total = 0;
    for (const orderingpb::Item& item : o.items()) total += item.price() * item.quantity();
    return eda::validate::RoundMoney(total);
  }

  // A completed order has its invoice paid for its total, and its payment confirmed.
  void CheckPaid(const orderingpb::Order& o) {
    absl::StatusOr<paymentspb::Invoice> invoice = GetInvoice(o.id());
    if (!invoice.ok()) {
      Add("invoice", o.id(),
          absl::StrCat("completed, but its invoice: ", invoice.status().ToString()));
      return;
    }
    if (invoice->status() != "paid" || invoice->order_id() != o.id() ||
        std::abs(invoice->amount() - Total(o)) > kCent) {
      Add("invoice", o.id(),
          absl::StrCat("completed, but its invoice is ", invoice->status(), " for ",
                       invoice->amount(), " (order ", invoice->order_id(), "), total ", Total(o)));
    }
    absl::StatusOr<paymentspb::Payment> payment = GetPayment(o.payment_id());
    if (!payment.ok() || payment->status() != "confirmed") {
      Add("invoice", o.id(),
          absl::StrCat("completed, but its payment ", o.payment_id(), " is ",
                       payment.ok() ? payment->status() : payment.status().ToString()));
    }
  }

  // A rejected or cancelled order has no paid invoice, and its payment ends not confirmed (the
  // saga releases one it confirmed: read until the deadline).
  void CheckNotCharged(const orderingpb::Order& o) {
    absl::StatusOr<paymentspb::Invoice> invoice = GetInvoice(o.id());
    if (invoice.ok() && invoice->status() == "paid") {
      Add("no charge", o.id(), absl::StrCat(o.status(), ", but its invoice is paid"));
    } else if (!invoice.ok() && !absl::IsNotFound(invoice.status())) {
      Add("no charge", o.id(), absl::StrCat("its invoice: ", invoice.status().ToString()));
    }
    std::string status;
    while (true) {
      absl::StatusOr<paymentspb::Payment> payment = GetPayment(o.payment_id());
      status = payment.ok() ? payment->status() : payment.status().ToString();
      if ((payment.ok() && status != "confirmed") || absl::Now() >= deadline_) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    if (status != "authorized" && status != "released") {
      Add("no charge", o.id(),
          absl::StrCat(o.status(), ", but its payment ", o.payment_id(), " is ", status));
    }
  }

  // No list shopped by two robots, no order with two lists; depot agrees with the robots.
  void CheckLists(const std::vector<Shopped>& shopped,
                  const std::map<std::string, orderingpb::Order>& known) {
    std::map<std::string, std::set<std::string>> bots_of_list;
    std::map<std::string, std::set<std::string>> lists_of_order;
    std::map<std::string, std::string> order_of_list;
    for (const Shopped& s : shopped) {
      if (known.count(s.order_id) == 0) continue;  // another run's
      bots_of_list[s.list].insert(s.bot);
      lists_of_order[s.order_id].insert(s.list);
      order_of_list[s.list] = s.order_id;
    }
    for (const auto& [list, bots] : bots_of_list) {
      if (bots.size() > 1) {
        Add("lists", list, absl::StrCat("shopped by ", absl::StrJoin(bots, " and ")));
      }
      absl::StatusOr<depotpb::ShoppingList> l = GetShoppingList(list);
      const std::string& order = order_of_list[list];
      if (!l.ok()) {
        Add("lists", list, absl::StrCat("depot: ", l.status().ToString()));
        continue;
      }
      if (l->order_id() != order || bots.count(l->assigned_bot_id()) == 0) {
        Add("lists", list,
            absl::StrCat("depot has it for order ", l->order_id(), " assigned to ",
                         l->assigned_bot_id(), "; the robots' log: order ", order, ", ",
                         absl::StrJoin(bots, ", ")));
      }
      if (known.at(order).status() == "completed" && l->status() != "completed") {
        Add("lists", list,
            absl::StrCat("its order ", order, " is completed, the list ", l->status()));
      }
    }
    for (const auto& [id, order] : known) {
      auto lists = lists_of_order.find(id);
      if (lists != lists_of_order.end() && lists->second.size() > 1) {
        Add("lists", id, absl::StrCat("shopped as lists ", absl::StrJoin(lists->second, ", ")));
      }
      if (order.status() == "completed" && lists == lists_of_order.end()) {
        Add("lists", id, "completed, but no robot shopped a list for it (robots' log)");
      }
    }
  }

 private:
  const Clients& c_;
  const absl::Time deadline_;
  std::vector<Violation> violations_;
};

// The value of "key":"value" in a JSON line, "" when absent.
std::string JsonString(absl::string_view line, absl::string_view key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  size_t at = line.find(needle);
  if (at == absl::string_view::npos) return "";
  at += needle.size();
  size_t end = line.find('"', at);
  return end == absl::string_view::npos ? "" : std::string(line.substr(at, end - at));
}

}  // namespace

std::vector<Shopped> ParseBotsLog(const std::string& text) {
  std::vector<Shopped> shopped;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (JsonString(line, "msg") != "shopping") continue;
    Shopped s{.list = JsonString(line, "list"),
              .order_id = JsonString(line, "order_id"),
              .bot = JsonString(line, "bot")};
    if (!s.list.empty() && !s.order_id.empty()) shopped.push_back(std::move(s));
  }
  return shopped;
}

std::vector<Violation> CheckInvariants(const Clients& clients, const Options& options,
                                       std::vector<OrderRecord>& orders, absl::Time deadline,
                                       int64_t* unresolved, std::vector<std::string>* notes) {
  Checker check(clients, deadline);
  std::map<std::string, orderingpb::Order> known;  // by id
  check.Settle(orders, unresolved, known);
  std::vector<OrderRecord> checked;
  for (const OrderRecord& r : orders) {
    auto o = known.find(r.id);
    if (o == known.end()) continue;
    check.CheckOrder(r, o->second);
    if (o->second.status() == "completed") {
      check.CheckPaid(o->second);
    } else if (IsFinal(o->second.status())) {
      check.CheckNotCharged(o->second);
    }
    checked.push_back(r);
  }
  if (options.bots_log.empty()) {
    notes->push_back(
        "shopping lists not checked: no robots' log (--bots-log); depot finds a list by its id "
        "only, and no read API names an order's list");
  } else {
    std::ifstream in(options.bots_log);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      check.Add("lists", options.bots_log, "cannot read the robots' log");
    } else {
      check.CheckLists(ParseBotsLog(text.str()), known);
    }
  }
  if (options.search.empty()) {
    notes->push_back("search not checked: no search endpoint (MALLBOTS_GRPC_SEARCH, --search)");
  } else {
    for (Violation& v : CheckSearchAgrees(options.search, options, checked, deadline, notes)) {
      check.violations().push_back(std::move(v));
    }
  }
  return std::move(check.violations());
}

}  // namespace mallbots::loadgen
