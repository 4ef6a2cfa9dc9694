// MVRegister: the multi-value register, concurrent writes and the writes that replace them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(MVRegister, ConcurrentWritesAreAllKeptAndListedSorted) {
  MVRegister<std::string> a, b;
  const auto from_a = a.write(1, "pear");
  const auto from_b = b.write(2, "apple");
  a.merge(from_b);
  b.merge(from_a);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.values(), (std::vector<std::string>{"apple", "pear"}));
}

TEST(MVRegister, ALaterWriteThatSawThemReplacesThemAll) {
  MVRegister<std::string> a, b;
  a.merge(b.write(2, "apple"));
  a.write(1, "pear");  // saw "apple": replaces it
  a.merge(b.write(2, "plum"));
  ASSERT_EQ(a.values(), (std::vector<std::string>{"pear", "plum"}));
  const auto later = a.write(1, "fig");
  EXPECT_EQ(a.values(), (std::vector<std::string>{"fig"}));
  b.merge(later);
  EXPECT_EQ(b.values(), (std::vector<std::string>{"fig"}));
}

TEST(MVRegister, AWriteConcurrentWithTwoOthersKeepsThree) {
  MVRegister<int> a, b, c;
  const auto wa = a.write(1, 30);
  const auto wb = b.write(2, 10);
  const auto wc = c.write(3, 20);
  for (MVRegister<int>* r : {&a, &b, &c}) {
    for (const auto* w : {&wa, &wb, &wc}) r->merge(*w);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_EQ(a.values(), (std::vector<int>{10, 20, 30}));
}

TEST(MVRegister, AWriteThatSawOnlyOneValueReplacesOnlyThatOne) {
  MVRegister<int> a, b, c;
  const auto wa = a.write(1, 1);
  const auto wb = b.write(2, 2);
  c.merge(wa);
  const auto wc = c.write(3, 3);  // saw wa, not wb
  a.merge(wb);
  a.merge(wc);
  EXPECT_EQ(a.values(), (std::vector<int>{2, 3}));
}

TEST(MVRegister, ConcurrentWritesOfTheSameValueAreListedOnce) {
  MVRegister<int> a, b;
  a.write(1, 5);
  b.write(2, 5);
  a.merge(b);
  EXPECT_EQ(a.values(), (std::vector<int>{5}));
  EXPECT_EQ(a.dotted().store().size(), 2u);  // two writes, one value
  EXPECT_TRUE(MVRegister<int>{}.values().empty());
}

}  // namespace
}  // namespace calm::lattices
