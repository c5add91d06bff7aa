// File: validation.h
// The checks every service applies to its input, with the messages clients see (INVALID_ARGUMENT):
//
//   EDA_RETURN_IF_ERROR(validate::Id(id, "store"));          // "the store id must be a UUID"
//   EDA_RETURN_IF_ERROR(validate::Text(name, 200, "store name"));
//   price = validate::RoundMoney(price);                      // 4 decimals, at the aggregate
//
// `what` names the value as the message shows it ("store name", "product SKU").
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace eda::validate {

// The largest amount a price or a total may hold (the read models' decimal(9,4)).
inline constexpr double kMaxMoney = 99999.9999;

// InvalidArgument "the <what> id cannot be blank" / "the <what> id must be a UUID".
absl::Status Id(absl::string_view id, absl::string_view what);

// InvalidArgument "the <what> cannot be blank".
absl::Status NotBlank(absl::string_view value, absl::string_view what);

// InvalidArgument "the <what> cannot contain NUL bytes" / "the <what> cannot be longer than <max>
// characters" (bytes of UTF-8; gRPC has already refused invalid UTF-8 in a string field).
absl::Status Text(absl::string_view value, size_t max, absl::string_view what);

// InvalidArgument "the <what> cannot be negative" / "the <what> must be a number" (NaN,
// infinities) / "the <what> cannot exceed 99999.9999".
absl::Status Money(double amount, absl::string_view what);

// `amount` rounded to 4 decimals (half away from zero), as money is kept.
double RoundMoney(double amount);

}  // namespace eda::validate
