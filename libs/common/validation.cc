#include "libs/common/validation.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"

namespace eda::validate {

absl::Status Id(absl::string_view id, absl::string_view what) {
  if (id.empty())
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " id cannot be blank"));
  if (!IsUuid(id))
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " id must be a UUID"));
  return absl::OkStatus();
}

absl::Status NotBlank(absl::string_view value, absl::string_view what) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("the ", what, " cannot be blank"));
}

absl::Status Text(absl::string_view value, size_t max, absl::string_view what) {
  if (absl::StrContains(value, absl::string_view("\0", 1))) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " cannot contain NUL bytes"));
  }
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " cannot be longer than ", max, " characters"));
  }
  return absl::OkStatus();
}

absl::Status Money(double amount, absl::string_view what) {
  if (std::isnan(amount) || std::isinf(amount)) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " must be a number"));
  }
  if (amount < 0)
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " cannot be negative"));
  if (RoundMoney(amount) > kMaxMoney) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " cannot exceed 99999.9999"));
  }
  return absl::OkStatus();
}

double RoundMoney(double amount) { return std::round(amount * 10000.0) / 10000.0; }

}  // namespace eda::validate
