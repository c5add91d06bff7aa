#include "services/stores/domain/store.h"

#include <cmath>

#include "gtest/gtest.h"

namespace stores::domain {
namespace {

TEST(StoreTest, CreateValidatesAndStartsNotParticipating) {
  auto s = Store::Create("s1", "Books", "Level 1");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->state().participating());
  EXPECT_EQ(s->pending().size(), 1u);
  EXPECT_EQ(Store::Create("s", "", "x").status().message(), "the store name cannot be blank");
  EXPECT_EQ(Store::Create("s", "x", "").status().message(), "the store location cannot be blank");
}

TEST(StoreTest, ParticipationToggles) {
  Store s = *Store::Create("s1", "Books", "Level 1");
  EXPECT_EQ(s.DisableParticipation().message(), "the store is already not participating");
  ASSERT_TRUE(s.EnableParticipation().ok());
  EXPECT_TRUE(s.state().participating());
  EXPECT_EQ(s.EnableParticipation().message(), "the store is already participating");
  ASSERT_TRUE(s.Rebrand("").ok());  // blank accepted, as in the spec
}

TEST(ProductTest, PricesMoveByDeltasInTheRightDirection) {
  Product p = *Product::Add("p1", "s1", "Pen", "blue", "SKU1", 10.0);
  EXPECT_EQ(p.IncreasePrice(9.0).message(), "the price change would be a decrease");
  EXPECT_EQ(p.IncreasePrice(std::nan("")).message(), "the product price must be a number");
  EXPECT_EQ(p.DecreasePrice(-HUGE_VAL).message(), "the product price must be a number");
  ASSERT_TRUE(p.IncreasePrice(12.5).ok());
  EXPECT_DOUBLE_EQ(std::get<ProductPriceIncreased>(p.pending().back()).delta(), 2.5);
  EXPECT_EQ(p.DecreasePrice(13.0).message(), "the price change would be an increase");
  ASSERT_TRUE(p.DecreasePrice(11.0).ok());
  EXPECT_DOUBLE_EQ(std::get<ProductPriceDecreased>(p.pending().back()).delta(), -1.5);
  EXPECT_DOUBLE_EQ(p.state().price(), 11.0);
  EXPECT_TRUE(p.IncreasePrice(11.0).ok());  // equal: a zero delta
}

TEST(ProductTest, ValidationAndRemoval) {
  EXPECT_EQ(Product::Add("p", "s", "", "", "", 1).status().message(),
            "initializing product: the product name cannot be blank");
  EXPECT_EQ(Product::Add("p", "s", "Pen", "", "", -1).status().message(),
            "initializing product: the product price cannot be negative");
  Product p = *Product::Add("p1", "s1", "Pen", "", "", 1);
  ASSERT_TRUE(p.Remove().ok());
  EXPECT_EQ(p.Remove().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(p.Rebrand("x", "y").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(p.IncreasePrice(5).code(), absl::StatusCode::kNotFound);
}

TEST(ProductTest, PricesAreKeptToFourDecimals) {
  Product p = *Product::Add("p1", "s1", "Pen", "", "", 1.23456);
  EXPECT_DOUBLE_EQ(p.state().price(), 1.2346);
  ASSERT_TRUE(p.IncreasePrice(2.00004).ok());
  EXPECT_DOUBLE_EQ(std::get<ProductPriceIncreased>(p.pending().back()).delta(), 0.7654);
  EXPECT_DOUBLE_EQ(p.state().price(), 2.0);
  EXPECT_EQ(p.IncreasePrice(100000).message(), "the product price cannot exceed 99999.9999");
  // The direction is judged on the price as it will be kept.
  EXPECT_TRUE(p.IncreasePrice(1.99996).ok());
  EXPECT_DOUBLE_EQ(std::get<ProductPriceIncreased>(p.pending().back()).delta(), 0);
  EXPECT_TRUE(p.DecreasePrice(2.00004).ok());
}

TEST(StoreTest, RefusesNulBytes) {
  EXPECT_EQ(Store::Create("s", std::string("a\0b", 3), "x").status().message(),
            "the store name cannot contain NUL bytes");
}

}  // namespace
}  // namespace stores::domain
