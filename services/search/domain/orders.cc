#include "services/search/domain/orders.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/validation.h"

namespace search::domain {
namespace {

// A version prefix, so that a cursor's layout may change without misreading old ones.
constexpr char kCursorPrefix[] = "c1.";

}  // namespace

std::optional<std::string> CanonicalStatus(absl::string_view name) {
  for (const char* status : {kNew, kApproved, kRejected, kReadyForPickup, kCanceled, kCompleted}) {
    if (absl::EqualsIgnoreCase(name, status)) return std::string(status);
  }
  return std::nullopt;
}

double Total(const std::vector<Line>& lines) {
  double total = 0;
  for (const Line& l : lines) total += l.price * static_cast<double>(l.quantity);
  return eda::validate::RoundMoney(total);
}

absl::StatusOr<int> PageSize(int limit) {
  if (limit < 0 || limit > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be between 0 and ", kMaxPageSize));
  }
  return limit == 0 ? kDefaultPageSize : limit;
}

std::string EncodeCursor(const Cursor& cursor) {
  return absl::StrCat(kCursorPrefix, absl::WebSafeBase64Escape(cursor.SerializeAsString()));
}

absl::StatusOr<Cursor> DecodeCursor(absl::string_view next) {
  const absl::Status invalid = absl::InvalidArgumentError("next is not a cursor of SearchOrders");
  if (!absl::ConsumePrefix(&next, kCursorPrefix)) return invalid;
  std::string bytes;
  Cursor cursor;
  if (!absl::WebSafeBase64Unescape(next, &bytes) || !cursor.ParseFromString(bytes) ||
      cursor.order_id().empty()) {
    return invalid;
  }
  return cursor;
}

}  // namespace search::domain
