// Or, and its dual And (and.hpp): booleans that only become true, or only false.
#include <gtest/gtest.h>

#include <sstream>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(OrAnd, OrOnlyBecomesTrueAndAndOnlyBecomesFalse) {
  Or o;
  EXPECT_FALSE(reveal(o));
  EXPECT_TRUE(o.merge(Or{true}));
  EXPECT_FALSE(o.merge(Or{false}));
  EXPECT_TRUE(is_top(o));
  And a;
  EXPECT_TRUE(reveal(a));
  EXPECT_TRUE(a.merge(And{false}));
  EXPECT_FALSE(a.merge(And{true}));
  EXPECT_TRUE(is_top(a));
}

TEST(OrAnd, PrintWithTheirOwnNames) {
  std::ostringstream os;
  os << Or{true} << ' ' << And{} << ' ' << Max<int>{2};
  EXPECT_EQ(os.str(), "Or(true) And(true) Max(2)");
}

}  // namespace
}  // namespace calm::lattices
