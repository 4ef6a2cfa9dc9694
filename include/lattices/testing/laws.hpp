#pragma once
/// The lattice laws (check_lattice, check_morphism, check_monotone) and rc::Arbitrary for the
/// lattices; <lattices/testing.hpp> includes it with the CRDTs' generators and models and the
/// delta-CRDT harness. The law harness: property tests that users run against their own
/// lattices.
///
///   #include <lattices/testing.hpp>
///   static_assert(calm::lattices::Lattice<MyLattice>);
///   TEST(MyLattice, IsALattice) { EXPECT_LATTICE(MyLattice); }
///
/// `check_lattice<L>()` draws values with RapidCheck (`rc::Arbitrary<L>`, provided here for
/// every calm type, for tuples and pairs, and for Hana structs of them) and checks each law of
/// core.hpp, plus the cereal round trip, atomize and delta where `L` has them. Each function
/// returns true when every law held and false after printing, per broken law, its name, the
/// shrunk counterexample, and both sides of the equation.
///
/// Partial lattices (Point) throw JoinUndefined for joins that do not exist: such cases are
/// discarded, not failed.
#include <cxxabi.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices::testing {

struct Options {
  /// Successful cases per law.
  int cases = 1000;
  /// 0: RapidCheck's seed (random, or RC_PARAMS="seed=..."); otherwise this seed.
  std::uint64_t seed = 0;
  /// Largest RapidCheck size (collection lengths grow up to about this); 0: RapidCheck's.
  int max_size = 0;
  /// Where failures are reported.
  std::ostream* out = &std::cerr;
};

namespace detail {

/// Prints any value for a report: operator<< where it exists, products field by field.
template <class T>
void show(std::ostream& os, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    os << (value ? "true" : "false");
  } else if constexpr (requires { os << value; }) {
    os << value;
  } else if constexpr (::calm::lattices::detail::is_product<T>) {
    os << '{';
    const char* sep = "";
    ::calm::lattices::detail::for_each_field<T>(
        [&](const auto& field) {
          os << sep;
          show(os, field);
          sep = ", ";
        },
        value);
    os << '}';
  } else {
    os << "<value of a type with no operator<<>";
  }
}

/// The text of a broken law: its name, the statement, the inputs, and both sides.
class Report {
 public:
  Report(std::string_view law, std::string_view statement) {
    text_ << "law violated: " << law << "\n  expected: " << statement << '\n';
  }
  template <class T>
  Report& with(std::string_view name, const T& value) {
    text_ << "  " << name << " = ";
    show(text_, value);
    text_ << '\n';
    return *this;
  }
  std::string str() const { return text_.str(); }

 private:
  std::ostringstream text_;
};

/// The cases a law runs: `cases`, or fewer when the environment's CALM_LAW_CASES holds a
/// smaller positive number (a quick run, such as a sanitizer build's: a test asks for no more
/// than it needs, the environment may only lower it).
inline int law_cases(int cases) {
  const char* cap = std::getenv("CALM_LAW_CASES");
  if (cap == nullptr) return cases;
  char* end = nullptr;
  const long n = std::strtol(cap, &end, 10);
  if (end == cap || *end != '\0' || n <= 0) return cases;
  return static_cast<int>(std::min<long>(n, cases));
}

/// Runs one property with the options; prints the failure and returns false if it fails.
template <class Property>
bool run_law(std::string_view type_name, std::string_view law, const Options& options,
             Property property) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = law_cases(options.cases);
  if (options.seed != 0) params.seed = options.seed;
  if (options.max_size > 0) params.maxSize = options.max_size;
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(type_name) + "/" + std::string(law);
  metadata.description = metadata.id;
  const auto result = rc::detail::checkTestable(std::move(property), metadata, params);
  if (result.template is<rc::detail::SuccessResult>()) return true;
  std::ostream& out = *options.out;
  // The cases drawn depend on the seed and on the number of cases (RapidCheck's sizes grow
  // with it): both are needed to draw them again.
  out << "\ncalm law harness: " << metadata.id << " (seed " << params.seed << ", "
      << params.maxSuccess << " cases)\n";
  rc::detail::printResultMessage(result, out);
  out << std::endl;
  return false;
}

/// Discards a case whose join does not exist (a partial lattice), instead of failing it.
template <class Body>
void within_domain(Body&& body) {
  try {
    body();
  } catch (const JoinUndefined&) {
    RC_DISCARD("join undefined for these values");
  }
}

template <class L>
std::string type_label() {
  int status = 0;
  char* demangled = abi::__cxa_demangle(typeid(L).name(), nullptr, nullptr, &status);
  std::string label = status == 0 && demangled ? demangled : typeid(L).name();
  std::free(demangled);
  return label;
}

/// `o` says "less or equal" in the lattice order.
inline bool at_most(std::partial_ordering o) {
  return o == std::partial_ordering::less || o == std::partial_ordering::equivalent;
}

template <class L>
bool below_or_equal(const L& a, const L& b) {
  return at_most(::calm::lattices::compare(a, b));
}

inline const char* order_name(std::partial_ordering o) {
  if (o == std::partial_ordering::less) return "less";
  if (o == std::partial_ordering::greater) return "greater";
  if (o == std::partial_ordering::equivalent) return "equivalent";
  return "unordered";
}

}  // namespace detail

namespace detail {

/// The laws of check_lattice, each a plain function of three values returning the report of a
/// violation. One RapidCheck property per lattice type runs them all, which keeps compile time
/// linear in the number of types rather than types x laws, and draws each case's values once.
template <class L>
struct Laws {
  using Result = std::optional<std::string>;
  using Check = Result (*)(const L&, const L&, const L&);
  struct Law {
    const char* name;
    Check check;
  };

  static Result associativity(const L& a, const L& b, const L& c) {
    const L left = join(join(a, b), c);
    const L right = join(a, join(b, c));
    if (left == right) return {};
    return Report("associativity", "join(join(a, b), c) == join(a, join(b, c))")
        .with("a", a)
        .with("b", b)
        .with("c", c)
        .with("join(join(a, b), c)", left)
        .with("join(a, join(b, c))", right)
        .str();
  }

  static Result commutativity(const L& a, const L& b, const L&) {
    const L left = join(a, b);
    const L right = join(b, a);
    if (left == right) return {};
    return Report("commutativity", "join(a, b) == join(b, a)")
        .with("a", a)
        .with("b", b)
        .with("join(a, b)", left)
        .with("join(b, a)", right)
        .str();
  }

  static Result idempotence(const L& a, const L&, const L&) {
    L self = a;
    const bool changed = merge(self, a);
    if (self == a && !changed) return {};
    return Report("idempotence", "merge(a, a) leaves a unchanged and returns false")
        .with("a", a)
        .with("after merge(a, a)", self)
        .with("merge returned", changed)
        .str();
  }

  static Result bottom_identity(const L& a, const L&, const L&) {
    const L bottom{};
    L x = a;
    const bool changed = merge(x, bottom);
    const L y = join(bottom, a);
    if (x == a && !changed && y == a && is_bot(bottom) && is_bot(a) == (a == bottom)) return {};
    return Report("bottom is the identity",
                  "join(a, L{}) == a, join(L{}, a) == a, merge(a, L{}) returns false, "
                  "is_bot(L{}), and is_bot(a) exactly when a == L{}")
        .with("a", a)
        .with("is_bot(a)", is_bot(a))
        .with("join(a, L{})", x)
        .with("join(L{}, a)", y)
        .with("merge(a, L{}) returned", changed)
        .with("is_bot(L{})", is_bot(bottom))
        .str();
  }

  static Result honest_return(const L& a, const L& b, const L&) {
    L x = a;
    const bool changed = merge(x, b);
    L y = a;
    const bool moved_changed = merge(y, L(b));
    // A redelivered b must be a no-op that says so, or anti-entropy gossips forever. This case
    // does not depend on the generator drawing overlapping values, so it is checked every time.
    L again = x;
    const bool again_changed = merge(again, b);
    if (changed == !(x == a) && y == x && moved_changed == changed && !again_changed &&
        again == x) {
      return {};
    }
    return Report("merge returns whether the value changed",
                  "merge(a, b) returns (join(a, b) != a), for lvalue and rvalue b alike, "
                  "and merging b again returns false")
        .with("a", a)
        .with("b", b)
        .with("join(a, b)", x)
        .with("merge returned", changed)
        .with("join(a, b) with b moved", y)
        .with("merge with b moved returned", moved_changed)
        .with("merge(join(a, b), b) returned", again_changed)
        .with("merge(join(a, b), b)", again)
        .str();
  }

  static Result upper_bound(const L& a, const L& b, const L&) {
    const L j = join(a, b);
    if (below_or_equal(a, j) && below_or_equal(b, j)) return {};
    return Report("join is an upper bound", "a <= join(a, b) and b <= join(a, b)")
        .with("a", a)
        .with("b", b)
        .with("join(a, b)", j)
        .with("compare(a, join(a, b))", order_name(compare(a, j)))
        .with("compare(b, join(a, b))", order_name(compare(b, j)))
        .str();
  }

  static Result join_all_is_the_join(const L& a, const L& b, const L& c) {
    // Orders and repeats that exercise the balanced tree (a count that is not a power of two,
    // a value twice) and every type's own join_all.
    const L expected = join(join(a, b), c);
    std::vector<L> values = {a, b, c, b, a};
    const L all = ::calm::lattices::join_all(values);
    std::vector<L> one = {c};
    std::vector<L> none;
    const L just_c = ::calm::lattices::join_all(one);
    const L bottom = ::calm::lattices::join_all(none);
    if (all == expected && just_c == c && bottom == L{}) return {};
    return Report("join_all is the join",
                  "join_all({a, b, c, b, a}) == join(join(a, b), c), "
                  "join_all({c}) == c and join_all({}) is bottom")
        .with("a", a)
        .with("b", b)
        .with("c", c)
        .with("join(join(a, b), c)", expected)
        .with("join_all({a, b, c, b, a})", all)
        .with("join_all({c})", just_c)
        .str();
  }

  static Result compare_join(const L& a, const L& x, const L&) {
    // Random pairs are mostly unordered; b = join(a, x) is above a by construction.
    const L b = join(a, x);
    for (const auto& [p, q] : {std::pair<const L&, const L&>{a, x}, {a, b}, {b, a}}) {
      const auto order = compare(p, q);
      const auto reverse = compare(q, p);
      const bool below = at_most(order);
      const bool mirrored =
          (order == std::partial_ordering::less && reverse == std::partial_ordering::greater) ||
          (order == std::partial_ordering::greater && reverse == std::partial_ordering::less) ||
          (order == reverse && (order == std::partial_ordering::equivalent ||
                                order == std::partial_ordering::unordered));
      const bool above = at_most(reverse);
      const L pq = join(p, q);
      if (below == (pq == q) && above == (pq == p) && mirrored) continue;
      return Report(
                 "compare agrees with join",
                 "compare(p, q) <= 0 iff join(p, q) == q, compare(q, p) <= 0 iff join(p, q) == p, "
                 "and compare(q, p) mirrors compare(p, q)")
          .with("p", p)
          .with("q", q)
          .with("compare(p, q)", order_name(order))
          .with("compare(q, p)", order_name(reverse))
          .with("join(p, q)", pq)
          .str();
    }
    return {};
  }

  static Result compare_equality(const L& a, const L& b, const L&) {
    for (const auto& [p, q] : {std::pair<const L&, const L&>{a, b}, {a, a}}) {
      const auto order = compare(p, q);
      if ((order == std::partial_ordering::equivalent) == (p == q)) continue;
      return Report("compare agrees with ==", "compare(p, q) == equivalent iff p == q")
          .with("p", p)
          .with("q", q)
          .with("compare(p, q)", order_name(order))
          .with("p == q", p == q)
          .str();
    }
    return {};
  }

  static Result top_absorbs(const L& a, const L& b, const L&) {
    if constexpr (BoundedLattice<L>) {
      if (is_top(a) && !(join(a, b) == a)) {
        return Report("top absorbs", "is_top(a) implies join(a, b) == a")
            .with("a", a)
            .with("b", b)
            .with("join(a, b)", join(a, b))
            .str();
      }
    }
    return {};
  }

  static Result round_trip(const L& a, const L&, const L&) {
    const std::string bytes = to_bytes(a);
    L back{};
    std::string error;
    try {
      back = from_bytes<L>(bytes);
    } catch (const std::exception& e) {
      error = e.what();
    }
    const std::size_t counted = encoded_size(a);
    if (error.empty() && back == a && to_bytes(back) == bytes && counted == bytes.size()) {
      return {};
    }
    return Report("serialization round trip",
                  "from_bytes(to_bytes(a)) == a, re-encoding gives the same bytes, and "
                  "encoded_size(a) is their count")
        .with("a", a)
        .with("decoded", back)
        .with("decode error", error)
        .with("encoded bytes", bytes.size())
        .with("encoded_size(a)", counted)
        .str();
  }

  static Result atoms(const L& a, const L& b, const L&) {
    if constexpr (Atomizable<L>) {
      const std::vector<L> parts = atomize(a);
      L rejoined{};
      for (const L& atom : parts) merge(rejoined, atom);
      std::string problem;
      for (std::size_t i = 0; i < parts.size() && problem.empty(); ++i) {
        if (is_bot(parts[i])) problem = "atom " + std::to_string(i) + " is bottom";
      }
      if (problem.empty() && !(rejoined == a)) problem = "the atoms do not join to a";
      // decompose: coarser parts (a range of removed dots is one), still a decomposition.
      if (problem.empty()) {
        L joined_parts{};
        for (const L& part : decompose(a)) {
          if (is_bot(part)) problem = "a part of decompose(a) is bottom";
          merge(joined_parts, part);
        }
        if (problem.empty() && !(joined_parts == a)) problem = "decompose(a) does not join to a";
      }
      for (std::size_t i = 0; i < parts.size() && problem.empty(); ++i) {
        const std::vector<L> again = atomize(parts[i]);
        if (again.size() != 1 || !(again[0] == parts[i])) {
          problem = "atom " + std::to_string(i) + " decomposes further (not join-irreducible)";
        }
      }
      // Atoms are join-prime (delta replication needs a distributive lattice): each atom of
      // join(a, b) lies below an atom of a or of b. An "atom" that is really a join is not.
      if (problem.empty()) {
        std::vector<L> sources = parts;
        for (L& atom : atomize(b)) sources.push_back(std::move(atom));
        const std::vector<L> joined = atomize(join(a, b));
        const std::size_t step = joined.size() <= 16 ? 1 : joined.size() / 16;
        for (std::size_t i = 0; i < joined.size() && problem.empty(); i += step) {
          const bool covered = std::any_of(sources.begin(), sources.end(), [&](const L& s) {
            return below_or_equal(joined[i], s);
          });
          if (!covered) {
            problem = "an atom of join(a, b) is below no atom of a or b (not join-irreducible)";
          }
        }
      }
      // Irredundant: no atom lies below the join of the others. Each check joins every other
      // atom, so up to 16 atoms are checked, spread evenly over the decomposition.
      const std::size_t stride = parts.size() <= 16 ? 1 : parts.size() / 16;
      for (std::size_t i = 0; i < parts.size() && problem.empty(); i += stride) {
        L others{};
        for (std::size_t j = 0; j < parts.size(); ++j) {
          if (j != i) merge(others, parts[j]);
        }
        if (below_or_equal(parts[i], others)) {
          problem = "atom " + std::to_string(i) + " is below the join of the others";
        }
      }
      if (!problem.empty()) {
        Report report("atoms are irredundant and join to the value",
                      "atoms are non-bottom, irreducible, none below the join of the others, and "
                      "join to a");
        report.with("a", a).with("b", b).with("problem", problem).with("join of atoms", rejoined);
        for (std::size_t i = 0; i < parts.size() && i < 16; ++i) {
          report.with("atom " + std::to_string(i), parts[i]);
        }
        return report.str();
      }
    } else if constexpr (Decomposable<L>) {
      // Not atomizable (not distributive), but protocols still cut it into messages.
      L joined_parts{};
      std::string problem;
      for (const L& part : decompose(a)) {
        if (is_bot(part)) problem = "a part of decompose(a) is bottom";
        if (!below_or_equal(part, a)) problem = "a part of decompose(a) is not below a";
        merge(joined_parts, part);
      }
      if (problem.empty() && !(joined_parts == a)) problem = "decompose(a) does not join to a";
      if (!problem.empty()) {
        return Report("decompose(a) is a join decomposition",
                      "the parts are non-bottom, below a, and join to a")
            .with("a", a)
            .with("problem", problem)
            .with("join of parts", joined_parts)
            .str();
      }
    }
    return {};
  }

  static Result delta_reaches_join(const L& a, const L& x, const L&) {
    if constexpr (DeltaLattice<L>) {
      // Deltas travel between related replicas: try b unrelated to a, and b below a.
      const L below_a = delta(a, x);
      for (const L& b : {x, below_a}) {
        const L d = delta(a, b);
        const L target = join(a, b);
        const L reached = join(b, d);
        std::string minimal =
            below_or_equal(a, b) && !is_bot(d) ? "a <= b but the delta is not bottom" : "";
        if constexpr (Atomizable<L>) {
          for (const L& atom : atomize(d)) {
            if (minimal.empty() && below_or_equal(atom, b))
              minimal = "an atom of the delta is already below b";
          }
        }
        if (reached == target && below_or_equal(d, a) && minimal.empty()) continue;
        return Report("delta brings b up to join(a, b)",
                      "join(b, delta(a, b)) == join(a, b), delta(a, b) <= a, and it carries "
                      "nothing b has (bottom when a <= b; no atom below b)")
            .with("problem", minimal)
            .with("a", a)
            .with("b", b)
            .with("delta(a, b)", d)
            .with("join(b, delta(a, b))", reached)
            .with("join(a, b)", target)
            .str();
      }
    }
    return {};
  }

  static std::vector<Law> all() {
    std::vector<Law> laws = {
        {"associativity", &associativity},
        {"commutativity", &commutativity},
        {"idempotence", &idempotence},
        {"bottom is the identity", &bottom_identity},
        {"merge returns whether the value changed", &honest_return},
        {"join is an upper bound", &upper_bound},
        {"join_all is the join", &join_all_is_the_join},
        {"compare agrees with join", &compare_join},
        {"compare agrees with ==", &compare_equality},
        {"serialization round trip", &round_trip},
    };
    if constexpr (BoundedLattice<L>) laws.push_back({"top absorbs", &top_absorbs});
    if constexpr (Atomizable<L>) {
      laws.push_back({"atoms are irredundant and join to the value", &atoms});
    } else if constexpr (Decomposable<L>) {
      laws.push_back({"decompose(a) is a join decomposition", &atoms});
    }
    if constexpr (DeltaLattice<L>) {
      laws.push_back({"delta brings b up to join(a, b)", &delta_reaches_join});
    }
    return laws;
  }
};

}  // namespace detail

/// Checks every lattice law on `L`: associativity, commutativity, idempotence, bottom as the
/// identity, merge's return value, join as an upper bound, join_all as the join, compare against
/// join and ==, top (where is_top exists), the cereal round trip, atomize (or decompose alone) and
/// delta (where defined).
///
/// Each case draws three values and checks every law on them, so every law sees
/// `options.cases` cases while values are generated once. When a case fails, each law is run
/// again on its own, with the same seed, so that every broken law is reported with its own
/// shrunk counterexample.
template <Lattice L>
bool check_lattice(Options options = {}) {
  using Laws = detail::Laws<L>;
  auto property_of = [](std::vector<typename Laws::Law> laws) {
    return [laws = std::move(laws)] {
      const L a = *rc::gen::arbitrary<L>();
      const L b = *rc::gen::arbitrary<L>();
      const L c = *rc::gen::arbitrary<L>();
      // A law whose join is undefined for these values (a partial lattice) is skipped on its
      // own; the case is discarded only when no law could be checked.
      std::string failures;
      std::size_t checked = 0;
      for (const auto& law : laws) {
        try {
          if (auto failure = law.check(a, b, c)) failures += *failure;
          ++checked;
        } catch (const JoinUndefined&) {
        }
      }
      if (!failures.empty()) RC_FAIL(failures);
      if (checked == 0) RC_DISCARD("join undefined for these values");
    };
  };
  const std::string name = detail::type_label<L>();
  std::ostringstream combined;
  Options quiet = options;
  quiet.out = &combined;
  if (options.seed == 0) quiet.seed = rc::detail::configuration().testParams.seed;
  if (detail::run_law(name, "every law", quiet, property_of(Laws::all()))) return true;

  Options single = options;
  single.seed = quiet.seed;
  bool reported = false;
  for (const auto& law : Laws::all()) {
    reported = !detail::run_law(name, law.name, single, property_of({law})) || reported;
  }
  if (!reported) *options.out << combined.str();
  return false;
}

/// Checks that f distributes over join: f(join(a, b)) == join(f(a), f(b)).
template <class From, class F>
requires Lattice<From> && Lattice<std::remove_cvref_t<std::invoke_result_t<F&, const From&>>>
bool check_morphism(F f, Options options = {}) {
  using To = std::remove_cvref_t<std::invoke_result_t<F&, const From&>>;
  return detail::run_law(
      detail::type_label<From>(), "morphism", options, [f](const From& a, const From& b) {
        detail::within_domain([&] {
          const To left = f(join(a, b));
          const To right = join(To(f(a)), f(b));
          if (!(left == right)) {
            RC_FAIL(detail::Report("morphism", "f(join(a, b)) == join(f(a), f(b))")
                        .with("a", a)
                        .with("b", b)
                        .with("f(join(a, b))", left)
                        .with("join(f(a), f(b))", right)
                        .str());
          }
        });
      });
}

/// Checks that f preserves the order: a <= b implies f(a) <= f(b).
template <class From, class F>
requires Lattice<From> && Lattice<std::remove_cvref_t<std::invoke_result_t<F&, const From&>>>
bool check_monotone(F f, Options options = {}) {
  using To = std::remove_cvref_t<std::invoke_result_t<F&, const From&>>;
  return detail::run_law(detail::type_label<From>(), "monotone", options,
                         [f](const From& a, const From& x) {
                           detail::within_domain([&] {
                             const From b = join(a, x);  // a <= b by construction
                             const To fa = f(a);
                             const To fb = f(b);
                             if (!detail::below_or_equal(fa, fb)) {
                               RC_FAIL(detail::Report("monotone", "a <= b implies f(a) <= f(b)")
                                           .with("a", a)
                                           .with("b", b)
                                           .with("f(a)", fa)
                                           .with("f(b)", fb)
                                           .str());
                             }
                           });
                         });
}

}  // namespace calm::lattices::testing

/// GoogleTest wrappers (include <gtest/gtest.h> first). The type may contain commas.
#define EXPECT_LATTICE(...) EXPECT_TRUE((::calm::lattices::testing::check_lattice<__VA_ARGS__>()))
#define ASSERT_LATTICE(...) ASSERT_TRUE((::calm::lattices::testing::check_lattice<__VA_ARGS__>()))
#define EXPECT_LATTICE_WITH(options, ...) \
  EXPECT_TRUE((::calm::lattices::testing::check_lattice<__VA_ARGS__>(options)))
#define EXPECT_MORPHISM(f, ...) \
  EXPECT_TRUE((::calm::lattices::testing::check_morphism<__VA_ARGS__>(f)))
#define EXPECT_MONOTONE(f, ...) \
  EXPECT_TRUE((::calm::lattices::testing::check_monotone<__VA_ARGS__>(f)))

// ---- rc::Arbitrary for every calm lattice ---------------------------------------------------

namespace calm::lattices::testing::detail {

/// Elements for sets, keys and ordered values: integers are drawn mostly from a small range so
/// that generated values overlap, collide and compare, which is where lattice bugs hide.
template <class T>
rc::Gen<T> element() {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return rc::gen::weightedOneOf<T>(
        {{3, rc::gen::inRange<T>(0, 24)}, {1, rc::gen::arbitrary<T>()}});
  } else if constexpr (std::is_floating_point_v<T>) {
    return rc::gen::map(rc::gen::arbitrary<T>(),
                        [](T x) { return x == x ? x : T{0}; });  // NaN is not a lattice value
  } else if constexpr (std::is_same_v<T, std::string>) {
    return rc::gen::weightedOneOf<T>(
        {{3, rc::gen::resize(4, rc::gen::container<std::string>(rc::gen::inRange('a', 'e')))},
         {1, rc::gen::resize(16, rc::gen::arbitrary<std::string>())}});
  } else {
    return rc::gen::arbitrary<T>();
  }
}

/// A value nested inside a collection is drawn at about the square root of the outer size,
/// so that a map of sets stays near `size` elements in all rather than size squared.
template <class L>
rc::Gen<L> nested() {
  return rc::gen::withSize([](int size) {
    int inner = 1;
    while (inner * inner < size) ++inner;
    return rc::gen::resize(inner, rc::gen::arbitrary<L>());
  });
}

template <class L>
rc::Gen<L> with_bottom(rc::Gen<L> values) {
  return rc::gen::weightedOneOf<L>({{1, rc::gen::just(L{})}, {4, std::move(values)}});
}

/// Ordered values with their bottom and, where the type has one, their top (rarely drawn
/// otherwise: INT_MAX or infinity almost never come up by chance).
template <class L>
rc::Gen<L> with_bottom_and_top(rc::Gen<L> values) {
  if constexpr (::calm::lattices::BoundedLattice<L>) {
    const L top = L::top();
    return rc::gen::weightedOneOf<L>(
        {{1, rc::gen::just(L{})}, {6, std::move(values)}, {1, rc::gen::just(top)}});
  } else {
    return with_bottom<L>(std::move(values));
  }
}

}  // namespace calm::lattices::testing::detail

namespace rc {

template <class T>
struct Arbitrary<calm::lattices::Max<T>> {
  static Gen<calm::lattices::Max<T>> arbitrary() {
    using L = calm::lattices::Max<T>;
    return calm::lattices::testing::detail::with_bottom_and_top<L>(
        gen::construct<L>(calm::lattices::testing::detail::element<T>()));
  }
};

template <class T>
struct Arbitrary<calm::lattices::Min<T>> {
  static Gen<calm::lattices::Min<T>> arbitrary() {
    using L = calm::lattices::Min<T>;
    return calm::lattices::testing::detail::with_bottom_and_top<L>(
        gen::construct<L>(calm::lattices::testing::detail::element<T>()));
  }
};

template <>
struct Arbitrary<calm::lattices::Or> {
  static Gen<calm::lattices::Or> arbitrary() {
    return gen::construct<calm::lattices::Or>(gen::arbitrary<bool>());
  }
};

template <>
struct Arbitrary<calm::lattices::And> {
  static Gen<calm::lattices::And> arbitrary() {
    return gen::construct<calm::lattices::And>(gen::arbitrary<bool>());
  }
};

template <class T>
struct Arbitrary<calm::lattices::Point<T>> {
  static Gen<calm::lattices::Point<T>> arbitrary() {
    using L = calm::lattices::Point<T>;
    // Half bottom, and values from a small range, so that many joins are defined.
    return gen::weightedOneOf<L>(
        {{1, gen::just(L{})},
         {1, gen::construct<L>(calm::lattices::testing::detail::element<T>())}});
  }
};

template <class T>
struct Arbitrary<calm::lattices::Conflict<T>> {
  static Gen<calm::lattices::Conflict<T>> arbitrary() {
    using L = calm::lattices::Conflict<T>;
    return gen::weightedOneOf<L>(
        {{1, gen::just(L{})},
         {4, gen::construct<L>(calm::lattices::testing::detail::element<T>())},
         {1, gen::just(L::top())}});
  }
};

template <class L>
struct Arbitrary<calm::lattices::WithBot<L>> {
  static Gen<calm::lattices::WithBot<L>> arbitrary() {
    using W = calm::lattices::WithBot<L>;
    return calm::lattices::testing::detail::with_bottom<W>(gen::construct<W>(gen::arbitrary<L>()));
  }
};

/// Boxed<L>: L's values, boxed; bottom both as the empty box and as a box left holding bottom
/// (what a writer through mutable_value() may leave), which must be the same value.
template <class L>
struct Arbitrary<calm::lattices::Boxed<L>> {
  static Gen<calm::lattices::Boxed<L>> arbitrary() {
    using B = calm::lattices::Boxed<L>;
    return gen::weightedOneOf<B>(
        {{6, gen::construct<B>(gen::arbitrary<L>())}, {1, gen::exec([] {
                                                         B allocated_bottom;
                                                         allocated_bottom.mutable_value();
                                                         return allocated_bottom;
                                                       })}});
  }
};

template <class L>
struct Arbitrary<calm::lattices::WithTop<L>> {
  static Gen<calm::lattices::WithTop<L>> arbitrary() {
    using W = calm::lattices::WithTop<L>;
    return gen::weightedOneOf<W>(
        {{5, gen::construct<W>(gen::arbitrary<L>())}, {1, gen::just(W::top())}});
  }
};

template <class T, class Backing>
struct Arbitrary<calm::lattices::SetUnion<T, Backing>> {
  static Gen<calm::lattices::SetUnion<T, Backing>> arbitrary() {
    return gen::map(gen::container<std::vector<T>>(calm::lattices::testing::detail::element<T>()),
                    [](const std::vector<T>& xs) {
                      return calm::lattices::SetUnion<T, Backing>(xs.begin(), xs.end());
                    });
  }
};

template <class K, class L>
struct Arbitrary<calm::lattices::MapUnion<K, L>> {
  static Gen<calm::lattices::MapUnion<K, L>> arbitrary() {
    using Entry = std::pair<K, L>;
    return gen::map(
        gen::container<std::vector<Entry>>(gen::pair(calm::lattices::testing::detail::element<K>(),
                                                     calm::lattices::testing::detail::nested<L>())),
        [](const std::vector<Entry>& entries) {
          return calm::lattices::MapUnion<K, L>(entries.begin(), entries.end());
        });
  }
};

template <class L>
struct Arbitrary<calm::lattices::VecUnion<L>> {
  static Gen<calm::lattices::VecUnion<L>> arbitrary() {
    return gen::map(gen::resize(8, gen::container<std::vector<L>>(
                                       calm::lattices::testing::detail::nested<L>())),
                    [](std::vector<L> xs) { return calm::lattices::VecUnion<L>(std::move(xs)); });
  }
};

template <class Id>
struct Arbitrary<calm::lattices::VectorClock<Id>> {
  static Gen<calm::lattices::VectorClock<Id>> arbitrary() {
    // Few replicas and small counters, so that clocks are often ordered, equal or concurrent.
    using Entry = std::pair<Id, std::uint64_t>;
    return gen::map(gen::resize(8, gen::container<std::vector<Entry>>(
                                       gen::pair(calm::lattices::testing::detail::element<Id>(),
                                                 gen::inRange<std::uint64_t>(0, 6)))),
                    [](const std::vector<Entry>& entries) {
                      calm::lattices::VectorClock<Id> clock;
                      for (const auto& [id, n] : entries) {
                        clock.merge(calm::lattices::VectorClock<Id>{{id, n}});
                      }
                      return clock;
                    });
  }
};

template <class A, class B>
struct Arbitrary<calm::lattices::Pair<A, B>> {
  static Gen<calm::lattices::Pair<A, B>> arbitrary() {
    return gen::build<calm::lattices::Pair<A, B>>(
        gen::set(&calm::lattices::Pair<A, B>::first, gen::arbitrary<A>()),
        gen::set(&calm::lattices::Pair<A, B>::second, gen::arbitrary<B>()));
  }
};

template <class K, class V>
struct Arbitrary<calm::lattices::DomPair<K, V>> {
  static Gen<calm::lattices::DomPair<K, V>> arbitrary() {
    using L = calm::lattices::DomPair<K, V>;
    return gen::map(gen::pair(gen::arbitrary<K>(), gen::arbitrary<V>()), [](std::pair<K, V> kv) {
      return L(std::move(kv.first), std::move(kv.second));
    });
  }
};

/// Any Hana struct whose fields have generators: each field drawn independently.
template <calm::lattices::detail::hana_struct S>
struct Arbitrary<S> {
  static Gen<S> arbitrary() {
    return gen::exec([] {
      S value{};
      calm::lattices::detail::for_each_field<S>(
          [](auto& field) { field = *gen::arbitrary<std::remove_cvref_t<decltype(field)>>(); },
          value);
      return value;
    });
  }
};

}  // namespace rc
