// The leading example of docs/testing-your-lattice.md, verbatim between the two markers below,
// so that the page cannot rot: if this file changes, change the page with it (and back).
// After the example, a test that the harness rejects a broken variant of the same type.
// ---- begin: docs/testing-your-lattice.md ----
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <tuple>

#include "lattices/testing.hpp"

// The highest mark seen and who set it; equal marks go to the greater label. Bottom: {0, ""}.
struct HighWaterMark {
  unsigned mark = 0;
  std::string label;
  bool merge(const HighWaterMark& other) {
    if (std::tie(other.mark, other.label) <= std::tie(mark, label)) return false;
    *this = other;
    return true;
  }
  friend bool operator==(const HighWaterMark&, const HighWaterMark&) = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(mark, label);
  }
  friend std::ostream& operator<<(std::ostream& os, const HighWaterMark& h) {
    return os << "HighWaterMark(" << h.mark << ", \"" << h.label << "\")";
  }
};

template <>
struct rc::Arbitrary<HighWaterMark> {
  static Gen<HighWaterMark> arbitrary() {
    return gen::build<HighWaterMark>(
        gen::set(&HighWaterMark::mark, gen::inRange(0u, 8u)),
        gen::set(&HighWaterMark::label, gen::element<std::string>("", "a", "b")));
  }
};

TEST(TestingYourLattice, HighWaterMarkIsALattice) { EXPECT_LATTICE(HighWaterMark); }
// ---- end: docs/testing-your-lattice.md ----

#include <gmock/gmock.h>

#include <sstream>

namespace {

/// The same type with the tie-break forgotten: on equal marks the label already held stays, so
/// which label survives depends on the order of merges (not commutative), and even bottom
/// {0, ""} overwrites nothing it meets, so join(L{}, a) is not a.
struct FirstLabelWins {
  unsigned mark = 0;
  std::string label;

  bool merge(const FirstLabelWins& other) {
    if (other.mark <= mark) return false;
    *this = other;
    return true;
  }
  friend bool operator==(const FirstLabelWins&, const FirstLabelWins&) = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(mark, label);
  }
  friend std::ostream& operator<<(std::ostream& os, const FirstLabelWins& h) {
    return os << "FirstLabelWins(" << h.mark << ", \"" << h.label << "\")";
  }
};

}  // namespace

template <>
struct rc::Arbitrary<FirstLabelWins> {
  static Gen<FirstLabelWins> arbitrary() {
    return gen::build<FirstLabelWins>(
        gen::set(&FirstLabelWins::mark, gen::inRange(0u, 8u)),
        gen::set(&FirstLabelWins::label, gen::element<std::string>("", "a", "b")));
  }
};

namespace {

TEST(TestingYourLattice, ForgettingTheTieBreakIsRejectedAsNotCommutative) {
  static_assert(calm::lattices::Lattice<FirstLabelWins>);  // it compiles; only the laws fail
  std::ostringstream report;
  EXPECT_FALSE(
      calm::lattices::testing::check_lattice<FirstLabelWins>({.cases = 200, .out = &report}));
  EXPECT_THAT(report.str(), ::testing::HasSubstr("law violated: commutativity"));
  EXPECT_THAT(report.str(), ::testing::HasSubstr("a = FirstLabelWins("));
  EXPECT_THAT(report.str(), ::testing::HasSubstr("seed"));
}

}  // namespace
