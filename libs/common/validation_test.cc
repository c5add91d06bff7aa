#include "libs/common/validation.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace eda::validate {
namespace {

TEST(ValidationTest, IdsAreUuids) {
  EXPECT_TRUE(Id("6602fabf-e226-4bf0-9048-e70a6ecee21c", "store").ok());
  EXPECT_EQ(Id("", "store").message(), "the store id cannot be blank");
  EXPECT_EQ(Id("42", "store").message(), "the store id must be a UUID");
  EXPECT_EQ(Id("42", "store").code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidationTest, TextRefusesNulBytesAndLongValues) {
  EXPECT_TRUE(Text("Waldorf", 7, "store name").ok());
  EXPECT_EQ(Text("Waldorfs", 7, "store name").message(),
            "the store name cannot be longer than 7 characters");
  EXPECT_EQ(Text(std::string("a\0b", 3), 10, "store name").message(),
            "the store name cannot contain NUL bytes");
  EXPECT_EQ(NotBlank("", "store name").message(), "the store name cannot be blank");
}

TEST(ValidationTest, MoneyIsFiniteNonNegativeAndBounded) {
  EXPECT_TRUE(Money(0, "price").ok());
  EXPECT_TRUE(Money(99999.99994, "price").ok());  // rounds to the maximum
  EXPECT_EQ(Money(-0.01, "price").message(), "the price cannot be negative");
  EXPECT_EQ(Money(std::nan(""), "price").message(), "the price must be a number");
  EXPECT_EQ(Money(std::numeric_limits<double>::infinity(), "price").message(),
            "the price must be a number");
  EXPECT_EQ(Money(100000, "price").message(), "the price cannot exceed 99999.9999");
}

TEST(ValidationTest, MoneyIsRoundedToFourDecimals) {
  EXPECT_DOUBLE_EQ(RoundMoney(1.23456), 1.2346);
  EXPECT_DOUBLE_EQ(RoundMoney(1.23454), 1.2345);
  EXPECT_DOUBLE_EQ(RoundMoney(0.1 + 0.2), 0.3);
}

}  // namespace
}  // namespace eda::validate
