// The morphisms (size, threshold, contains, keys, project).
#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "lattices/lattices.hpp"
#include "support/shop_cart.hpp"

namespace calm::lattices {
namespace {

TEST(Morphisms, ComputeWhatTheirNamesSay) {
  EXPECT_EQ(size(SetUnion<int>{1, 2, 3}), Max<std::size_t>{3});
  EXPECT_EQ(threshold(10)(Max<int>{9}), Or{false});
  EXPECT_EQ(threshold(10)(Max<int>{10}), Or{true});
  EXPECT_EQ(contains(2)(SetUnion<int>{1, 2}), Or{true});
  EXPECT_EQ(keys(MapUnion<int, Max<int>>{{3, Max<int>{0}}, {1, Max<int>{0}}}),
            (SetUnion<int>{1, 3}));
  const shop::Cart cart{SetUnion<std::string>{"a"}, Max<int>{4}};
  EXPECT_EQ(project<1>(cart), Max<int>{4});
}

}  // namespace
}  // namespace calm::lattices
