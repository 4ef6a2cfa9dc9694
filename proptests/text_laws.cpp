// Text<Id>: the lattice and delta-CRDT laws, with multi-byte code points in every value.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <vector>

#include "lattices/testing.hpp"

namespace {

using namespace calm::lattices;

TEST(TextLaws, HoldForTextsOfMultiByteCodePoints) {
  EXPECT_LATTICE(Text<>);
  EXPECT_LATTICE(Text<std::string>);
}

TEST(TextLaws, DeltasConvergeToTheFugueReference) { EXPECT_DELTA_CRDT(Text<>); }

// Fewer cases: each draws a map of documents, and the laws themselves are checked above.
TEST(TextLaws, NestInAMapOfDocuments) {
  EXPECT_LATTICE_WITH((calm::lattices::testing::Options{.cases = 150}),
                      MapUnion<std::string, Text<>>);
}

TEST(TextLaws, EncodingRoundTripsAndIsStable) {
  const bool held = rc::check([](const Text<>& t) {
    const std::string bytes = to_bytes(t);
    const Text<> back = from_bytes<Text<>>(bytes);
    RC_ASSERT(back == t);
    RC_ASSERT(back.str() == t.str());
    RC_ASSERT(to_bytes(back) == bytes);
  });
  EXPECT_TRUE(held);
}

/// As ListLaws' law of the same name, with runs of multi-byte code points: cutting a run of
/// UTF-8 must cut it between code points, wherever the other state's pieces end.
TEST(TextLaws, AJoinOfDifferentlySplitStatesJoinsEachIdsDefinitions) {
  const bool held = rc::check([](const Text<>& a, const Text<>& b) {
    std::vector<Text<>> inputs{a, b, a.delta(b), b.delta(a)};
    for (const Text<>* x : {&a, &b}) {
      for (Text<>& part : x->decompose()) inputs.push_back(std::move(part));
    }
    const std::vector<int> keys =
        *rc::gen::container<std::vector<int>>(inputs.size(), rc::gen::arbitrary<int>());
    std::vector<std::size_t> order(inputs.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      return std::tie(keys[x], x) < std::tie(keys[y], y);
    });
    std::vector<Text<>> shuffled;
    for (const std::size_t i : order) shuffled.push_back(inputs[i]);

    const auto reference =
        calm::lattices::testing::detail::reference_join<std::string>(std::vector<Text<>>{a, b});
    std::string expected;
    for (const std::string& c : reference.values()) expected += c;
    std::vector<Text<>> consumed = shuffled;  // join_all moves from its inputs
    const Text<> joined = Text<>::join_all(consumed);
    RC_ASSERT(joined.str() == expected);
    Text<> one_by_one;
    for (const Text<>& x : shuffled) one_by_one.merge(x);
    RC_ASSERT(one_by_one == joined);
  });
  EXPECT_TRUE(held);
}

}  // namespace
