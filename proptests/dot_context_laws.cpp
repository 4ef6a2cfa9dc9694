// The laws of DotContext, the causality kernel, and its normal form.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(DotContextLaws, HoldForNumericAndStringReplicaIds) {
  EXPECT_LATTICE(DotContext<>);
  EXPECT_LATTICE(DotContext<std::string>);
}

TEST(DotContextLaws, NormalFormDoesNotDependOnInsertionOrder) {
  // Inserting the same dots in any order gives == contexts (and so equal bytes).
  const bool held = rc::check([](std::vector<std::pair<std::uint8_t, std::uint8_t>> raw) {
    std::vector<Dot<>> dots;
    for (auto [r, n] : raw) dots.push_back({r % 3u, 1u + n % 8u});
    DotContext<> forward;
    for (const auto& d : dots) forward.insert(d);
    DotContext<> backward;
    for (auto it = dots.rbegin(); it != dots.rend(); ++it) backward.insert(*it);
    RC_ASSERT(forward == backward);
    for (const auto& d : dots) RC_ASSERT(forward.contains(d));
    RC_ASSERT(forward.count() == std::set<Dot<>>(dots.begin(), dots.end()).size());
  });
  EXPECT_TRUE(held);
}

}  // namespace
}  // namespace calm::lattices
