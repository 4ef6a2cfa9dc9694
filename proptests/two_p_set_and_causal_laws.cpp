// The laws of the two-phase set and of Causal, the causally consistent value.
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

TEST(CausalLaws, HoldForASetValueAndForAMaxValueWithStringReplicaIds) {
  EXPECT_LATTICE(Causal<SetUnion<int>>);
  EXPECT_LATTICE(Causal<Max<int>, std::string>);
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

TEST(CausalLaws, WriteRisesAboveEverythingSeenAndItsDeltaRebuildsTheValue) {
  const bool held = rc::check(
      [](const Causal<SetUnion<int>>& start, std::uint8_t replica, const SetUnion<int>& value) {
        Causal<SetUnion<int>> c = start;
        const Causal<SetUnion<int>> delta = c.write(replica, value);
        RC_ASSERT(join(start, delta) == c);
        RC_ASSERT(compare(start, c) == std::partial_ordering::less);
        RC_ASSERT(c.size() == 1u);  // the write replaces every version it saw
        RC_ASSERT(c == delta);
        RC_ASSERT(c.values().front() == value);
        RC_ASSERT(compare(start.clock(), c.clock()) == std::partial_ordering::less);
      });
  EXPECT_TRUE(held);
}

}  // namespace
}  // namespace calm::lattices
