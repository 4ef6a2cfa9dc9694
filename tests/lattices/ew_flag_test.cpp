// EWFlag: the enable-wins flag.
#include <gtest/gtest.h>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(EWFlag, StartsDisabled) { EXPECT_FALSE(EWFlag<>{}.value()); }

TEST(EWFlag, ConcurrentEnableAndDisableLeaveItEnabled) {
  EWFlag<> a, b;
  b.merge(a.enable(1));
  const auto enable = a.enable(1);
  const auto disable = b.disable();
  a.merge(disable);
  b.merge(enable);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(a.value());
}

TEST(EWFlag, ADisableThatSawEveryEnableDisablesIt) {
  EWFlag<> a, b;
  b.merge(a.enable(1));
  a.merge(b.enable(2));
  a.merge(b);
  const auto disable = a.disable();
  EXPECT_FALSE(a.value());
  b.merge(disable);
  EXPECT_FALSE(b.value());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace calm::lattices
