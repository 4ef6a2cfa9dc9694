// The library's morphisms distribute over join and its monotone functions preserve the order;
// the harness rejects a function wrongly tagged as either.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <tuple>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

using ::testing::HasSubstr;

TEST(Morphisms, ThresholdDistributesOverJoin) {
  static_assert(is_morphism_v<decltype(threshold(3))>);
  EXPECT_MORPHISM(threshold(3), Max<int>);
}

TEST(Morphisms, ContainsDistributesOverJoin) {
  static_assert(is_morphism_v<decltype(contains(2))>);
  EXPECT_MORPHISM(contains(2), SetUnion<int>);
}

TEST(Morphisms, KeysDistributesOverJoin) {
  static_assert(is_morphism_v<decltype(keys)>);
  EXPECT_MORPHISM(keys, MapUnion<int, SetUnion<int>>);
}

TEST(Morphisms, ProjectDistributesOverJoin) {
  static_assert(is_morphism_v<decltype(project<1>)>);
  using State = std::tuple<Max<int>, SetUnion<int>>;
  EXPECT_MORPHISM(project<1>, State);
}

TEST(Morphisms, SizeIsMonotoneButNotAMorphism) {
  static_assert(is_monotone_v<decltype(size)> && !is_morphism_v<decltype(size)>);
  EXPECT_MONOTONE(size, SetUnion<int>);
  std::ostringstream report;
  EXPECT_FALSE(testing::check_morphism<SetUnion<int>>(size, {.cases = 300, .out = &report}));
  EXPECT_THAT(report.str(), HasSubstr("law violated: morphism"));
}

TEST(Morphisms, UserTaggedFunctionsAreChecked) {
  // Any monotone function between chains distributes over max.
  const auto halved = morphism([](const Max<int>& x) { return Max<int>{x.reveal() / 2}; });
  static_assert(is_morphism_v<decltype(halved)>);
  EXPECT_MORPHISM(halved, Max<int>);
}

TEST(Morphisms, ANonMonotoneFunctionIsRejected) {
  const auto shrinking = [](const SetUnion<int>& s) {
    return Min<int>{static_cast<int>(s.size())};
  };
  std::ostringstream report;
  EXPECT_FALSE(testing::check_monotone<SetUnion<int>>(shrinking, {.cases = 300, .out = &report}));
  EXPECT_THAT(report.str(), HasSubstr("law violated: monotone"));
}

}  // namespace
}  // namespace calm::lattices
