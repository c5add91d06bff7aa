// The search invariant: search's read model agrees with ordering. It lives apart so that the
// search client (proto_search) is linked here alone.
#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "proto/search/search_service.grpc.pb.h"
#include "tools/loadgen/invariants.h"

namespace mallbots::loadgen {
namespace {

using Search = searchpb::SearchService::Stub;

constexpr double kCent = 0.00005;  // money is kept to 4 decimals

// Spec §5.9's name for each of ordering's statuses.
std::string SearchStatus(const std::string& ordering_status) {
  if (ordering_status == "pending") return "New";
  if (ordering_status == "approved") return "Approved";
  if (ordering_status == "rejected") return "Rejected";
  if (ordering_status == "ready") return "Ready For Pickup";
  if (ordering_status == "cancelled") return "Canceled";
  if (ordering_status == "completed") return "Completed";
  return ordering_status;
}

bool IsFinal(const std::string& status) {
  return status == "completed" || status == "rejected" || status == "cancelled";
}

// What differs between search's order and ordering's, or nullopt when they agree.
std::optional<std::string> Difference(const searchpb::Order& found, const OrderRecord& order) {
  if (found.customer_id() != order.customer_id) {
    return absl::StrCat("customer ", found.customer_id(), ", ordering has ", order.customer_id);
  }
  if (std::abs(found.total() - order.total) > kCent) {
    return absl::StrFormat("total %.4f, ordering has %.4f", found.total(), order.total);
  }
  if (found.status() != SearchStatus(order.status)) {
    return absl::StrCat("status \"", found.status(), "\", ordering has ", order.status);
  }
  return std::nullopt;
}

}  // namespace

// Search follows ordering's events asynchronously, so an order that differs is read again until
// it agrees or `deadline` passes; only then is the difference a violation.
std::vector<Violation> CheckSearchAgrees(const std::string& search, const Options& options,
                                         const std::vector<OrderRecord>& orders,
                                         absl::Time deadline, std::vector<std::string>* notes) {
  eda::service::PeerClient<searchpb::SearchService> client(
      eda::service::Peer("search", search, options.rpc_timeout));
  std::vector<Violation> violations;
  int64_t checked = 0;
  for (const OrderRecord& order : orders) {
    // Unknown to ordering, or not final (the "final" invariant reports it): nothing to compare
    // that holds still.
    if (!IsFinal(order.status)) continue;
    ++checked;
    std::string detail;
    absl::Duration wait = absl::Milliseconds(50);
    while (true) {
      searchpb::GetOrderRequest req;
      req.set_id(order.id);
      auto resp = Retry([&] { return client.Call(&Search::GetOrder, req); }, deadline, nullptr);
      if (resp.ok()) {
        std::optional<std::string> diff = Difference(resp->order(), order);
        if (!diff) break;
        detail = *diff;
      } else {
        detail = absl::StrCat("GetOrder: ", resp.status().ToString());
        if (!absl::IsNotFound(resp.status())) break;  // not an answer that time changes
      }
      if (absl::Now() >= deadline) break;
      absl::SleepFor(wait);
      wait = std::min(wait * 2, absl::Seconds(1));
      detail.clear();
    }
    if (!detail.empty()) violations.push_back({"search", order.id, detail});
  }
  notes->push_back(absl::StrCat("search at ", search, ": ", checked, " orders checked"));
  return violations;
}

}  // namespace mallbots::loadgen
