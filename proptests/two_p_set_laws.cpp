// The laws of the two-phase set, its add's and remove's deltas, and the convergence of its
// deltas to the adds-and-removes model.
#include <gtest/gtest.h>

#include <compare>
#include <cstdint>
#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

bool at_most_as_big(std::partial_ordering o) { return o < 0 || o == 0; }

TEST(TwoPSetLaws, HoldForNumbersAndStrings) {
  EXPECT_LATTICE(TwoPSet<int>);
  EXPECT_LATTICE(TwoPSet<std::string>);
}

TEST(TwoPSetLaws, AddAndRemoveAreInflationaryAndTheirDeltasRebuildTheSet) {
  const bool held = rc::check([](const TwoPSet<int>& start, bool remove, std::uint8_t x) {
    TwoPSet<int> set = start;
    const TwoPSet<int> delta = remove ? set.remove(x) : set.add(x);
    RC_ASSERT(join(start, delta) == set);
    RC_ASSERT(at_most_as_big(compare(start, set)));
    RC_ASSERT(set.contains(x) == (!remove && !start.removed(x)));
  });
  EXPECT_TRUE(held);
}

TEST(TwoPSetConvergence, DeltasConvergeToTheAddsAndRemovesModel) {
  EXPECT_DELTA_CRDT(TwoPSet<int>);
}

}  // namespace
}  // namespace calm::lattices
