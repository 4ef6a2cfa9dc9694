// DWFlag: the disable-wins flag.
#include <gtest/gtest.h>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(DWFlag, StartsEnabledBecauseItsDotsRecordDisables) { EXPECT_TRUE(DWFlag<>{}.value()); }

TEST(DWFlag, ConcurrentEnableAndDisableLeaveItDisabled) {
  DWFlag<> a, b;
  b.merge(a.disable(1));
  const auto disable = a.disable(1);
  const auto enable = b.enable();
  EXPECT_TRUE(b.value());
  a.merge(enable);
  b.merge(disable);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.value());
}

TEST(DWFlag, AnEnableThatSawEveryDisableEnablesIt) {
  DWFlag<> a, b;
  b.merge(a.disable(1));
  b.disable(2);
  a.merge(b);
  a.merge(a.enable());
  EXPECT_TRUE(a.value());
  b.merge(a);
  EXPECT_TRUE(b.value());
}

}  // namespace
}  // namespace calm::lattices
