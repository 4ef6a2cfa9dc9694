// The laws of LWWRegister, its write's delta, ties on the timestamp, and the convergence of
// the registers' deltas (LWWRegister and Causal) to the set of writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "at_most.hpp"
#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(LWWRegisterLaws, HoldForNumericAndStringValuesAndIds) {
  EXPECT_LATTICE(LWWRegister<int>);
  EXPECT_LATTICE(LWWRegister<std::string, std::string>);
}

TEST(LWWRegisterLaws, WriteIsInflationaryAndItsDeltaRebuildsTheRegister) {
  const bool held = rc::check([](const LWWRegister<int>& start, std::uint8_t replica, int value,
                                 const HlcTimestamp& timestamp) {
    LWWRegister<int> reg = start;
    const LWWRegister<int> delta = reg.write(replica, value, timestamp);
    RC_ASSERT(join(start, delta) == reg);
    RC_ASSERT(at_most(compare(start, reg)));
    RC_ASSERT(delta.value() == std::optional<int>(value));  // returned even when it loses
    RC_ASSERT(reg == join(start, delta));
  });
  EXPECT_TRUE(held);
}

TEST(LWWRegisterLaws, MergeIsCommutativeForWritesWithEqualTimestamps) {
  // Same timestamp, replicas and values from tiny ranges: ties on the replica too.
  const bool held = rc::check([](const HlcTimestamp& timestamp) {
    const auto id_a = *rc::gen::inRange<std::uint64_t>(0, 2);
    const auto id_b = *rc::gen::inRange<std::uint64_t>(0, 2);
    const auto value_a = *rc::gen::inRange(0, 3);
    const auto value_b = *rc::gen::inRange(0, 3);
    LWWRegister<int> a;
    a.write(id_a, value_a, timestamp);
    LWWRegister<int> b;
    b.write(id_b, value_b, timestamp);
    RC_ASSERT(join(a, b) == join(b, a));
    const auto winner = std::max(std::pair{id_a, value_a}, std::pair{id_b, value_b});
    RC_ASSERT(join(a, b).writer() == std::optional(winner.first));
    RC_ASSERT(join(a, b).value() == std::optional(winner.second));
  });
  EXPECT_TRUE(held);
}

TEST(RegisterConvergence, DeltasConvergeToTheWritesModel) {
  EXPECT_DELTA_CRDT(LWWRegister<int>);
  EXPECT_DELTA_CRDT(Causal<SetUnion<int>>);
}

}  // namespace
}  // namespace calm::lattices
