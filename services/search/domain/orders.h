// File: orders.h
// The rules of the orders read model: the status each order event sets, the total, the page
// size, and the opaque cursor that continues a search. Plain C++ over the context's own types.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/search/domain/search_domain.pb.h"

namespace search::domain {

// The statuses an order has in the read model (spec §5.9).
inline constexpr char kNew[] = "New";
inline constexpr char kApproved[] = "Approved";
inline constexpr char kRejected[] = "Rejected";
inline constexpr char kReadyForPickup[] = "Ready For Pickup";
inline constexpr char kCanceled[] = "Canceled";
inline constexpr char kCompleted[] = "Completed";

// The status named `name` in any case ("ready for pickup" -> "Ready For Pickup"); nullopt for a
// name that is none of them.
std::optional<std::string> CanonicalStatus(absl::string_view name);

struct Line {
  double price = 0;
  int64_t quantity = 0;
};
// Σ price × quantity, rounded to 4 decimals.
double Total(const std::vector<Line>& lines);

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;
// The page size of a request's `limit`: 0 is the default. Errors: InvalidArgument "limit must be
// between 0 and 100".
absl::StatusOr<int> PageSize(int limit);

// The opaque `next` of a page ending at `cursor`, and back. Errors: InvalidArgument "next is not
// a cursor of SearchOrders" for anything this did not encode.
std::string EncodeCursor(const Cursor& cursor);
absl::StatusOr<Cursor> DecodeCursor(absl::string_view next);

}  // namespace search::domain
