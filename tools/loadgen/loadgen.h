// File: loadgen.h
// The load generator: simulated customers shop in the mall over the services' gRPC APIs, each on
// its own thread, while the robots (tools/bots, running separately) shop the lists. A customer
// browses the stores and their catalogs, fills a basket (and sometimes cancels it), checks out
// with an authorized payment, waits for the order, cancels it now and then while it is pending,
// and pays the invoice once the order is ready. After the load, the business invariants are
// checked against the services' read APIs (invariants.h).
//
//   mallbots::loadgen::Options options{.customers = 8, .orders = 500, .seed = 42};
//   mallbots::loadgen::Report report = mallbots::loadgen::Run(options, endpoints, std::cerr);
//   std::cout << "RESULT " << report.Json() << "\n";   // report.violations empty: all held
//
// Calls that fail transiently (UNAVAILABLE, DEADLINE_EXCEEDED, a service's own failure) are
// repeated only where repeating is harmless: reads; a write whose effect is read back first
// (AddItem against GetBasket, CancelOrder against GetOrder, PayInvoice against GetInvoice); a
// checkout, which a basket takes once (its repetition is refused once it is checked out, and the
// order, whose id is the basket's, shows it). A start or an authorization whose answer was lost
// is made anew; what the lost one created is left unused.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/shopper/shopper.h"

namespace mallbots::loadgen {

struct Options {
  int customers = 5;                               // concurrent simulated customers
  absl::Duration duration = absl::ZeroDuration();  // the load's length (0: no limit)
  int64_t orders = 0;                              // checkouts to make (0: no limit)
  uint64_t seed = 1;
  absl::Duration report_every = absl::Seconds(5);     // progress lines (0: none)
  absl::Duration settle_timeout = absl::Seconds(60);  // for the orders in flight when it stops
  absl::Duration order_timeout = absl::Minutes(3);    // an order's limit from its checkout
  absl::Duration rpc_timeout = absl::Seconds(5);      // each call's deadline
  absl::Duration poll = absl::Milliseconds(50);       // how often an order's status is read
  double basket_cancel_fraction = 0.1;                // baskets cancelled instead of checked out
  double order_cancel_fraction = 0.1;                 // orders the customer cancels while pending
  double underpay_fraction = 0.05;  // payments authorized below the total (to be rejected)
  // host:port of the search service; "" skips the check that search agrees with ordering.
  std::string search;
  // The robots' log (tools/bots, JSON lines): which robot shopped which list. "" skips the
  // shopping list check, which depot's API alone cannot make (it finds a list by its id only).
  std::string bots_log;
  // Asked often; true stops the load early (then the orders in flight settle, and the checks run).
  std::function<bool()> stop;
  // Called once when the load stops, before the orders in flight settle (may be empty).
  std::function<void()> load_ended;
};

// A broken business invariant: which, about what (an order or list id), and what was seen.
struct Violation {
  std::string invariant;
  std::string id;
  std::string detail;
};

// A line of a basket at its checkout.
struct OrderLine {
  std::string product_id;
  double price = 0;
  int quantity = 0;
};

// A checked-out basket and what became of its order, as its customer saw it.
struct OrderRecord {
  std::string id;  // the basket's, which is the order's
  std::string customer_id;
  std::string payment_id;
  std::vector<OrderLine> lines;  // as the basket held them at the checkout
  double total = 0;
  bool underpaid = false;           // authorized below the total: the saga must reject it
  bool cancel_sent = false;         // the customer asked to cancel it
  bool cancelled = false;           // the customer's CancelOrder succeeded
  bool checkout_confirmed = false;  // false: the checkout's outcome stayed unknown
  std::string status;               // the last status the customer saw
  absl::Time checkout_at;
  absl::Time final_at = absl::InfinitePast();  // when it was seen in its final status
};

struct Report {
  int64_t orders = 0;  // checked-out baskets
  int64_t completed = 0;
  int64_t rejected = 0;
  int64_t cancelled = 0;
  int64_t unfinished = 0;         // not in a final status at the end
  int64_t unresolved = 0;         // checkouts whose outcome stayed unknown (and had no order)
  int64_t baskets_cancelled = 0;  // baskets cancelled instead of checked out
  int64_t cancels_too_late = 0;   // CancelOrder refused: the saga had approved the order already
  int64_t retries = 0;            // calls repeated after a transient failure
  std::map<std::string, int64_t> failures;  // those failures, by service and code
  int64_t failed_visits = 0;                // visits given up (a service unreachable for too long)
  double orders_per_s = 0;                  // checkouts per second of the load
  double p50_ms = 0;                        // checkout -> completed, as the customers saw it
  double p99_ms = 0;
  absl::Duration load_time;
  std::vector<Violation> violations;
  std::vector<std::string> notes;  // checks skipped or limited, and why

  // {"orders":..,"completed":..,"rejected":..,"cancelled":..,"orders_per_s":..,"p50_ms":..,
  //  "p99_ms":..,"violations":..,...}: the object of the RESULT line.
  std::string Json() const;
};

// Runs the load against the services at `endpoints` and checks the invariants; progress lines
// (every options.report_every) and the violations found go to `progress`. Returns when the checks
// are done. Errors are not returned: a service unreachable for good shows as failed visits,
// unfinished orders and violations.
Report Run(const Options& options, const Endpoints& endpoints, std::ostream& progress);

}  // namespace mallbots::loadgen
