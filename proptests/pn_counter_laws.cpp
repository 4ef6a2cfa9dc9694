// The laws of PNCounter, and its increment's and decrement's deltas (its convergence:
// g_counter_laws.cpp).
#include <gtest/gtest.h>

#include <cstdint>

#include "at_most.hpp"
#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(PNCounterLaws, Hold) { EXPECT_LATTICE(PNCounter<>); }

TEST(PNCounterLaws, IncrementAndDecrementAreInflationaryAndTheirDeltasRebuildTheCounter) {
  const bool held =
      rc::check([](const PNCounter<>& start, bool down, std::uint8_t replica, std::uint8_t n) {
        PNCounter<> counter = start;
        const PNCounter<> delta =
            down ? counter.decrement(replica, n) : counter.increment(replica, n);
        RC_ASSERT(join(start, delta) == counter);
        RC_ASSERT(at_most(compare(start, counter)));
        RC_ASSERT(at_most(compare(delta, counter)));
        RC_ASSERT(counter.value() == start.value() + (down ? -1 : 1) * std::int64_t{n});
      });
  EXPECT_TRUE(held);
}

}  // namespace
}  // namespace calm::lattices
