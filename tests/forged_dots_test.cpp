// Values that disagree about what a dot names (findings of tests/lattice_fuzz): a dot names one
// event, so only a peer that forges dots can send another element, key or value under a dot a
// replica already holds. Each value is valid alone; what must hold then is that replicas still
// agree: the join commutes (dot_store.hpp states what else is not promised).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

using Dot1 = Dot<std::uint64_t>;

TEST(ForgedDots, AnAWSetElementForgedUnderAKnownDotIsDroppedByBothJoins) {
  AWSet<std::string> honest;
  honest.add(2, "b");  // dot (2, 1)
  // A forged value: another element under (2, 1).
  const AWSet<std::string> forged(Dotted<DotMap<std::string, DotSet<>>>(
      DotMap<std::string, DotSet<>>{{")", DotSet<>{Dot1{2, 1}}}}, DotContext<>{Dot1{2, 1}}));
  EXPECT_EQ(join(honest, forged), join(forged, honest));
  EXPECT_TRUE(join(honest, forged).elements().empty());
}

TEST(ForgedDots, AnMVRegisterValueForgedUnderAKnownDotJoinsTheSameWayRound) {
  MVRegister<std::string> honest;
  honest.write(2, "w");  // dot (2, 1)
  const MVRegister<std::string> forged(
      Dotted<DotFun<std::string>>(DotFun<std::string>{{Dot1{2, 1}, "s"}}, DotContext<>{}));
  // Before: each side kept its own value for (2, 1), and the replicas never agreed again.
  EXPECT_EQ(join(honest, forged), join(forged, honest));
  EXPECT_EQ(join(honest, forged).values(), (std::vector<std::string>{"w"}));  // the greater
}

TEST(ForgedDots, AnORMapFieldForgedUnderAKnownDotJoinsTheSameWayRound) {
  using Hash = ORMap<std::string, MVRegister<std::string>>;
  Hash honest;
  honest.update(2, "g", [](auto& r) { return r.write(2, "w"); });
  const Hash forged(Dotted<DotMap<std::string, DotFun<std::string>>>(
      DotMap<std::string, DotFun<std::string>>{{"g", DotFun<std::string>{{Dot1{2, 1}, "s"}}}},
      DotContext<>{}));
  EXPECT_EQ(join(honest, forged), join(forged, honest));
  EXPECT_EQ(join(honest, forged).get("g").values(), (std::vector<std::string>{"w"}));
}

}  // namespace
}  // namespace calm::lattices
