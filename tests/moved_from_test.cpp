// A value moved from is bottom, for the library's CRDTs: empty, equal to a fresh value, with every
// count agreeing, and it takes new writes as a fresh value would. So is the source of an rvalue
// merge that took its parts. A replica moves each write's delta into the key's turn delta, and a
// caller may reuse the source.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "lattices/lattices.hpp"

namespace {

using namespace calm::lattices;

/// Moves `make()` away by construction and by assignment; each source must be bottom, equal to
/// T{}, and encode as T{} does; `write` then works on it as on a fresh value.
template <class T, class Make, class Write>
void expect_moved_from_is_bottom(Make make, Write write) {
  const auto check = [&](T& from, const char* how) {
    SCOPED_TRACE(how);
    EXPECT_TRUE(is_bot(from));
    EXPECT_EQ(from, T{});
    EXPECT_EQ(to_bytes(from), to_bytes(T{}));
    T fresh;
    write(from);
    write(fresh);
    EXPECT_EQ(from, fresh);
    EXPECT_EQ(to_bytes(from), to_bytes(fresh));
    if constexpr (requires { from.size(); }) {
      EXPECT_EQ(from.size(), fresh.size());
    }
  };
  {
    T from = make();
    ASSERT_FALSE(is_bot(from));
    const T to = std::move(from);
    EXPECT_EQ(to, make());
    check(from, "move construction");
  }
  {
    T from = make();
    T to = make();
    write(to);
    to = std::move(from);
    EXPECT_EQ(to, make());
    check(from, "move assignment");
  }
}

TEST(MovedFrom, SetsAreBottom) {
  expect_moved_from_is_bottom<AWSet<int>>(
      [] {
        AWSet<int> s;
        for (int i = 0; i < 10; ++i) s.add(1, i);
        s.remove(3);
        return s;
      },
      [](AWSet<int>& s) { s.add(2, 42); });
  expect_moved_from_is_bottom<RWSet<int>>(
      [] {
        RWSet<int> s;
        s.add(1, 1);
        s.remove(1, 2);
        return s;
      },
      [](RWSet<int>& s) { s.add(2, 42); });
  expect_moved_from_is_bottom<SetUnion<int>>(
      [] {
        SetUnion<int> s;
        s.insert(1);
        s.insert(2);
        return s;
      },
      [](SetUnion<int>& s) { s.insert(42); });
}

TEST(MovedFrom, CountersFlagsAndRegistersAreBottom) {
  expect_moved_from_is_bottom<GCounter<>>(
      [] {
        GCounter<> c;
        c.increment(1, 5);
        return c;
      },
      [](GCounter<>& c) { c.increment(2); });
  expect_moved_from_is_bottom<PNCounter<>>(
      [] {
        PNCounter<> c;
        c.increment(1, 5);
        c.decrement(2, 1);
        return c;
      },
      [](PNCounter<>& c) { c.increment(2); });
  expect_moved_from_is_bottom<EWFlag<>>(
      [] {
        EWFlag<> f;
        f.enable(1);
        return f;
      },
      [](EWFlag<>& f) { f.enable(2); });
  expect_moved_from_is_bottom<MVRegister<std::string>>(
      [] {
        MVRegister<std::string> r;
        r.write(1, "a value too long for a short string");
        return r;
      },
      [](MVRegister<std::string>& r) { r.write(2, "b"); });
}

TEST(MovedFrom, LastWriterWinsAndCausalValuesAreBottom) {
  expect_moved_from_is_bottom<LWWRegister<std::string>>(
      [] {
        LWWRegister<std::string> r;
        r.write(1, "a value too long for a short string", {100, 0});
        return r;
      },
      // Earlier than the moved write: a source still holding that write would ignore it.
      [](LWWRegister<std::string>& r) {
        r.write(2, "b", {50, 0});
      });
  expect_moved_from_is_bottom<Causal<SetUnion<std::string>>>(
      [] {
        Causal<SetUnion<std::string>> c;
        c.write(1, {"a"});
        return c;
      },
      [](Causal<SetUnion<std::string>>& c) { c.write(2, {"b"}); });
  expect_moved_from_is_bottom<VectorClock<>>(
      [] {
        VectorClock<> v;
        v.increment(1);
        return v;
      },
      [](VectorClock<>& v) { v.increment(2); });
  expect_moved_from_is_bottom<TwoPSet<int>>(
      [] {
        TwoPSet<int> s;
        s.add(1);
        return s;
      },
      [](TwoPSet<int>& s) { s.add(2); });
  expect_moved_from_is_bottom<MapUnion<std::string, SetUnion<int>>>(
      [] {
        MapUnion<std::string, SetUnion<int>> m;
        m.merge_at("k", SetUnion<int>{1});
        return m;
      },
      [](MapUnion<std::string, SetUnion<int>>& m) { m.merge_at("j", SetUnion<int>{2}); });
}

/// An rvalue merge that keeps the source's parts leaves the source bottom, not a value whose
/// parts lost their contents (a register's value, a sequence's elements).
TEST(MovedFrom, RvalueMergesLeaveTheirSourceBottomOrAsItWas) {
  {
    LWWRegister<std::string> older, newer;
    older.write(1, "old", {50, 0});
    newer.write(2, "a value too long for a short string", {100, 0});
    EXPECT_TRUE(older.merge(std::move(newer)));
    EXPECT_TRUE(newer.is_bot());
  }
  {
    Causal<SetUnion<std::string>> a, b;
    a.write(1, {"a"});
    b.write(2, {"b"});
    EXPECT_TRUE(a.merge(std::move(b)));
    EXPECT_TRUE(b.is_bot());
    EXPECT_EQ(from_bytes<Causal<SetUnion<std::string>>>(to_bytes(b)), b);
  }
  {
    // Pending pushes (a replica's turn delta) joined with a later push: appended, moved.
    List<std::string> doc;
    doc.insert(1, 0, std::string("first"));
    List<std::string> turn = doc.insert(1, 1, std::string("second"));
    List<std::string> next = doc.insert(1, 2, std::string("a value too long for a short string"));
    EXPECT_TRUE(turn.merge(std::move(next)));
    EXPECT_TRUE(next.is_bot());
    EXPECT_EQ(next.size(), 0u);
    List<std::string> elsewhere = doc;
    elsewhere.merge(next);  // a source with ids but no values would add empty elements
    EXPECT_EQ(elsewhere, doc);
  }
}

/// Merging a value into itself by rvalue changes nothing (a join is idempotent). A self-move
/// assignment leaves a value valid but unspecified, as the standard's types do; a map's count
/// still agrees with its keys (its chunked vector had kept the count and dropped the chunks).
TEST(MovedFrom, SelfMergesChangeNothingAndSelfMovesStayConsistent) {
  ORMap<std::string, AWSet<int>> m;
  m.update(1, "k", [](AWSet<int>& s) { return s.add(1, 1); });
  auto& alias = m;  // a self-move, without the compiler's warning about one
  m = std::move(alias);
  EXPECT_EQ(m.size(), m.keys().size());
  List<int> l;
  l.insert(1, 0, 1);
  const auto list_before = l;
  auto& list_alias = l;
  EXPECT_FALSE(l.merge(std::move(list_alias)));
  EXPECT_EQ(l, list_before);
  Causal<SetUnion<int>> c;
  c.write(1, {1});
  const auto causal_before = c;
  auto& causal_alias = c;
  EXPECT_FALSE(c.merge(std::move(causal_alias)));
  EXPECT_EQ(c, causal_before);
}

TEST(MovedFrom, SequencesAreBottom) {
  expect_moved_from_is_bottom<List<int>>(
      [] {
        List<int> l;
        for (int i = 0; i < 40; ++i) l.insert(1, 0, i);  // at the front: the cursor is cached
        l.erase(5, 3);
        return l;
      },
      [](List<int>& l) {
        l.insert(2, 0, 7);
        l.insert(2, 1, 8);
      });
  expect_moved_from_is_bottom<Text<>>(
      [] {
        Text<> t;
        t.insert(1, 0, "hello, world");
        t.insert(1, 0, ">");
        return t;
      },
      [](Text<>& t) { t.insert(2, 0, "new"); });
}

TEST(MovedFrom, MapsAreBottom) {
  using Map = ORMap<std::string, AWSet<int>>;
  expect_moved_from_is_bottom<Map>(
      [] {
        Map m;
        m.update(1, "k", [](AWSet<int>& s) { return s.add(1, 1); });
        return m;
      },
      [](Map& m) { m.update(2, "j", [](AWSet<int>& s) { return s.add(2, 2); }); });
}

}  // namespace
