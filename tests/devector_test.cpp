// detail::Devector, the sequence's leaf headers: inserts anywhere, pushes at the back and clears
// leave the same elements, in the same order, as a std::vector given the same operations.
#include "lattices/detail/devector.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace calm::lattices::detail {
namespace {

// Strings, so that a move that forgot to happen (or happened twice) shows as a lost value.
std::vector<std::string> contents(const Devector<std::string>& d) { return {d.begin(), d.end()}; }

RC_GTEST_PROP(Devector, MatchesAVectorUnderAnyInsertsPushesAndClears,
              (const std::vector<std::size_t>& ops)) {
  Devector<std::string> devector;
  std::vector<std::string> flat;
  int next = 0;
  for (const std::size_t op : ops) {
    const std::string value = std::to_string(next++);
    switch (op % 8) {
      case 0:
        devector.push_back(value);
        flat.push_back(value);
        break;
      case 1:
        devector.emplace_back() = value;
        flat.push_back(value);
        break;
      case 2:
        if (op % 97 == 2) {
          devector.clear();
          flat.clear();
        }
        break;
      default: {  // mostly near the front, where the room before head_ is used
        const std::size_t i =
            op % 3 == 0 ? (op / 8) % (flat.size() + 1) : (op / 8) % 3 % (flat.size() + 1);
        devector.insert(i, value);
        flat.insert(flat.begin() + static_cast<std::ptrdiff_t>(i), value);
      }
    }
    RC_ASSERT(devector.size() == flat.size());
    RC_ASSERT(devector.empty() == flat.empty());
  }
  RC_ASSERT(contents(devector) == flat);
  if (!flat.empty()) {
    RC_ASSERT(devector.front() == flat.front());
    RC_ASSERT(devector.back() == flat.back());
    RC_ASSERT(devector[flat.size() / 2] == flat[flat.size() / 2]);
  }
}

TEST(Devector, TenThousandFrontInsertsKeepTheirOrder) {
  Devector<std::string> devector;
  for (int i = 0; i < 10'000; ++i) devector.insert(i % 2, std::to_string(i));
  // At 0 and 1 in turn: each pair (even, odd) goes in front of the pairs before it.
  ASSERT_EQ(devector.size(), 10'000u);
  EXPECT_EQ(devector[0], "9998");
  EXPECT_EQ(devector[1], "9999");
  EXPECT_EQ(devector[2], "9996");
  EXPECT_EQ(devector[9'998], "0");
  EXPECT_EQ(devector.back(), "1");
  const Devector<std::string> copy = devector;
  EXPECT_EQ(contents(copy), contents(devector));
}

// Found by a review: a defaulted move left head_ past the moved-from empty buffer, so size()
// wrapped around and a moved-from List crashed when read.
TEST(Devector, AMovedFromDevectorIsEmptyAndUsableAndACopyHoldsOnlyTheElements) {
  Devector<std::string> a;
  for (int i = 0; i < 100; ++i) a.insert(0, std::to_string(i));  // room in front: head_ > 0
  Devector<std::string> b = std::move(a);
  EXPECT_EQ(b.size(), 100u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): what this test is about
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.begin(), a.end());
  a.insert(0, "again");
  EXPECT_EQ(contents(a), std::vector<std::string>{"again"});
  Devector<std::string> c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.front(), "99");
  Devector<std::string> d;
  d = c;
  EXPECT_EQ(contents(d), contents(c));
}

}  // namespace
}  // namespace calm::lattices::detail
