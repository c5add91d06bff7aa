// loadgen: simulated customers shop in a running mall (loadgen.h) while the robots shop the lists;
// progress every few seconds on stderr, the business invariants checked at the end (invariants.h)
// with every violation and its ids on stderr, and as the last line on stdout:
//
//   RESULT {"orders":...,"completed":...,"rejected":...,"cancelled":...,"orders_per_s":...,
//           "p50_ms":...,"p99_ms":...,"violations":...,...}
//
// Exit status: 0 when every invariant held, 1 on a violation, 2 on bad settings. SIGINT/SIGTERM
// ends the load early; the orders in flight still settle and the checks run.
//
//   loadgen --customers=8 --orders=500 --seed=42 --report-every=5s
//
// Settings (flags or environment): CUSTOMERS (5), DURATION or ORDERS (the stop; 60s when neither
// is given), SEED (random when absent, printed), REPORT_EVERY (5s), SETTLE_TIMEOUT (60s),
// ORDER_TIMEOUT (3m), RPC_TIMEOUT (5s), BASKET_CANCEL / ORDER_CANCEL / UNDERPAY (the fractions
// of baskets cancelled, orders cancelled while pending, payments authorized below the total:
// 0.1 / 0.1 / 0.05), BOTS_LOG (the robots' log, for the shopping list check), SEARCH (host:port
// of search, default MALLBOTS_GRPC_SEARCH; empty skips the search check). The services are at
// MALLBOTS_GRPC_<SERVICE> (the variables `make up` writes to .mallbots/stack.env; flags
// --mallbots-grpc-stores=host:port and so on).
#include <cstdio>
#include <iostream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/config.h"
#include "libs/common/shutdown.h"
#include "tools/loadgen/loadgen.h"

namespace {

double Fraction(eda::Config& config, const std::string& name, double default_value) {
  const std::string text = config.String(name, absl::StrCat(default_value));
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || value < 0 || value > 1) {
    config.Invalid(name, "must be a fraction between 0 and 1");
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  eda::ShutdownSignal& shutdown = eda::ShutdownSignal::Install();
  eda::Config config(argc, argv);
  mallbots::loadgen::Options o;
  o.customers = static_cast<int>(config.Int("CUSTOMERS", o.customers, 1, 1000));
  o.duration = config.Duration("DURATION", absl::ZeroDuration());
  o.orders = config.Int("ORDERS", 0, 0, int64_t{1} << 40);
  if (o.duration <= absl::ZeroDuration() && o.orders == 0) o.duration = absl::Seconds(60);
  const uint64_t random_seed = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()) % 1000000);
  o.seed = static_cast<uint64_t>(
      config.Int("SEED", static_cast<int64_t>(random_seed), 0, int64_t{1} << 62));
  o.report_every = config.Duration("REPORT_EVERY", o.report_every);
  o.settle_timeout = config.Duration("SETTLE_TIMEOUT", o.settle_timeout);
  o.order_timeout = config.Duration("ORDER_TIMEOUT", o.order_timeout);
  o.rpc_timeout = config.Duration("RPC_TIMEOUT", o.rpc_timeout);
  o.basket_cancel_fraction = Fraction(config, "BASKET_CANCEL", o.basket_cancel_fraction);
  o.order_cancel_fraction = Fraction(config, "ORDER_CANCEL", o.order_cancel_fraction);
  o.underpay_fraction = Fraction(config, "UNDERPAY", o.underpay_fraction);
  o.bots_log = config.String("BOTS_LOG", "");
  o.search = config.String("SEARCH", config.String("MALLBOTS_GRPC_SEARCH", ""));
  mallbots::Endpoints endpoints;
  for (auto [service, field] :
       std::vector<std::pair<std::string, std::string*>>{{"stores", &endpoints.stores},
                                                         {"customers", &endpoints.customers},
                                                         {"baskets", &endpoints.baskets},
                                                         {"ordering", &endpoints.ordering},
                                                         {"payments", &endpoints.payments},
                                                         {"depot", &endpoints.depot}}) {
    *field = config.RequiredString("MALLBOTS_GRPC_" + absl::AsciiStrToUpper(service));
  }
  if (absl::Status s = config.Check(); !s.ok()) {
    std::fprintf(stderr,
                 "loadgen: %s\n(a running `make up` stack writes MALLBOTS_GRPC_* to "
                 ".mallbots/stack.env; `make loadgen` reads it)\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  o.stop = [&shutdown] { return shutdown.requested(); };
  const mallbots::loadgen::Report report = mallbots::loadgen::Run(o, endpoints, std::cerr);
  std::cerr << "loadgen: seed " << o.seed << ", " << report.violations.size() << " violations"
            << std::endl;
  std::cout << "RESULT " << report.Json() << std::endl;
  return report.violations.empty() ? 0 : 1;
}
