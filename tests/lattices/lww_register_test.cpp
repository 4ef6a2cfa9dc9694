// LWWRegister: the last-writer-wins register, its tie-breaks, and writes stamped by hybrid clocks.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "lattices/lattices.hpp"
#include "support/printed.hpp"

namespace calm::lattices {
namespace {

TEST(LWWRegister, BottomIsNeverWritten) {
  const LWWRegister<std::string> reg;
  EXPECT_EQ(reg.value(), std::nullopt);
  EXPECT_EQ(reg.writer(), std::nullopt);
  EXPECT_EQ(reg.timestamp(), HlcTimestamp{});
  EXPECT_EQ(printed(reg), "LWWRegister{}");
}

TEST(LWWRegister, TheLaterTimestampWinsWhateverTheArrivalOrder) {
  LWWRegister<std::string> a, b;
  const auto early = a.write(1, "early", HlcTimestamp{10, 0});
  const auto late = b.write(2, "late", HlcTimestamp{10, 1});
  a.merge(late);
  b.merge(early);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.value(), "late");
  EXPECT_EQ(a.writer(), 2u);
  EXPECT_EQ(printed(a), "LWWRegister{late @ Hlc(10.1) by 2}");
}

TEST(LWWRegister, LwwTieOnTimestampIsBrokenByReplicaThenValue) {
  const HlcTimestamp t{7, 0};
  LWWRegister<std::string> by_replica_1, by_replica_2;
  by_replica_1.write(1, "zzz", t);
  by_replica_2.write(2, "aaa", t);
  EXPECT_EQ(join(by_replica_1, by_replica_2).value(), "aaa");  // replica 2 > replica 1
  EXPECT_EQ(join(by_replica_2, by_replica_1), join(by_replica_1, by_replica_2));

  LWWRegister<std::string> x, y;  // same timestamp and replica: the greater value wins
  x.write(1, "apple", t);
  y.write(1, "pear", t);
  EXPECT_EQ(join(x, y).value(), "pear");
  EXPECT_EQ(join(y, x), join(x, y));
}

TEST(LWWRegister, ALosingWriteIsReturnedButChangesNothing) {
  LWWRegister<int> reg;
  reg.write(1, 5, HlcTimestamp{20, 0});
  const LWWRegister<int> before = reg;
  const LWWRegister<int> delta = reg.write(2, 9, HlcTimestamp{10, 0});
  EXPECT_EQ(delta.value(), 9);
  EXPECT_EQ(reg, before);
  LWWRegister<int> elsewhere = before;
  EXPECT_FALSE(elsewhere.merge(delta));
  EXPECT_TRUE(is_bot(::calm::lattices::delta(delta, reg)));
}

TEST(LWWRegister, WithHybridClocksACausallyLaterWriteWinsDespiteASlowWallClock) {
  HybridClock fast, slow;
  LWWRegister<std::string> a, b;
  const auto first = a.write(1, "first", fast.now(1000));
  b.merge(first);
  slow.update(first.timestamp(), 200);  // b's wall clock is 800 ms behind
  b.write(2, "second", slow.now(210));
  a.merge(b);
  EXPECT_EQ(a.value(), "second");
}

}  // namespace
}  // namespace calm::lattices
