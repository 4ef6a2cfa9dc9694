// The laws of Causal, the causally consistent value, and its write's delta (its convergence:
// lww_register_laws.cpp).
#include <gtest/gtest.h>

#include <compare>
#include <cstdint>
#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(CausalLaws, HoldForASetValueAndForAMaxValueWithStringReplicaIds) {
  EXPECT_LATTICE(Causal<SetUnion<int>>);
  EXPECT_LATTICE(Causal<Max<int>, std::string>);
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
