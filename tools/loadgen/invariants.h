// File: invariants.h
// The business invariants the load generator checks after its load, against the services' read
// APIs (gRPC only), each answer read again after a transient failure until `deadline`:
//
//   orders      every checked-out basket became one order (GetOrder of the basket id), of the
//               basket's customer, payment and lines; an order the customer cancelled is
//               cancelled, one authorized below its total is not completed
//   final       every order is completed, rejected or cancelled
//   invoice     a completed order has its invoice (GetInvoice; its id is the order's, so there is
//               one) paid, for the order's total; its payment is confirmed
//   no charge   a rejected or cancelled order has no paid invoice, and its payment is not left
//               confirmed (the saga released it)
//   lists       with the robots' log: no list was shopped by two robots, no order got two lists,
//               and depot (GetShoppingList) shows each list for its order, assigned to the robot
//               that shopped it, completed when its order is
//   search      with a search endpoint: search agrees with ordering (CheckSearchAgrees)
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/loadgen/clients.h"
#include "tools/loadgen/loadgen.h"

namespace mallbots::loadgen {

// Checks `orders` (their checkouts confirmed or not) as above. An order whose checkout stayed
// unresolved and that ordering does not know was not checked out: it is counted in
// `*unresolved`, not as a violation. `notes` gets the checks skipped and why.
std::vector<Violation> CheckInvariants(const Clients& clients, const Options& options,
                                       std::vector<OrderRecord>& orders, absl::Time deadline,
                                       int64_t* unresolved, std::vector<std::string>* notes);

// The robots' log lines about the lists they took ("shopping": list, order_id, bot), checked
// against depot. Exposed for tests.
struct Shopped {
  std::string list;
  std::string order_id;
  std::string bot;
};
std::vector<Shopped> ParseBotsLog(const std::string& text);

// Search agrees with ordering: for each order, searchpb.SearchService.GetOrder({id}) has the
// order's customer, total and status (spec §5.9's names for ordering's statuses). Called only
// when options.search names an endpoint (MALLBOTS_GRPC_SEARCH, --search).
std::vector<Violation> CheckSearchAgrees(const std::string& search, const Options& options,
                                         const std::vector<OrderRecord>& orders,
                                         absl::Time deadline, std::vector<std::string>* notes);

}  // namespace mallbots::loadgen
