// "Decoding allocates by the bytes present, never by a length it read", measured: this program
// replaces the global operator new with one that records the largest single request
// (tests/support/counting_new.cpp, which is why it is an executable of its own), and decodes every
// hostile input of tests/hostile_bytes.hpp: strings claiming 1 GiB and 16 GiB, containers claiming
// 2^40 elements, inside the library's CRDTs and cereal's std types.
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "../hostile_bytes.hpp"
#include "../support/counting_new.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace hostile = calm::lattices::hostile;

/// Refused outright, tracked or not: a decoder that asks for this much must not get it (the
/// machine is shared), and the test still sees the request.
[[maybe_unused]] const bool huge_requests_refused = [] {
  calm::testing_support::refuse_allocations_above(std::size_t{256} << 20);
  return true;
}();

/// The largest single allocation that decoding any of the hostile inputs may make.
constexpr std::size_t kDecodeAllocationMaxBytes = std::size_t{1} << 20;

template <class F>
std::size_t largest_allocation_of(F&& f) {
  const calm::testing_support::AllocationCount count;
  f();
  return count.largest_bytes();
}

TEST(DecodeAllocations, TheTrackerSeesABigAllocation) {
  const std::size_t largest = largest_allocation_of([] {
    std::vector<char> big(4 * kDecodeAllocationMaxBytes);
    calm::testing_support::keep(big.data());
  });
  EXPECT_GE(largest, 4 * kDecodeAllocationMaxBytes);
}

TEST(DecodeAllocations, AHostileLengthNeverCausesAnAllocationAboveOneMebibyte) {
  const std::vector<hostile::Case> cases = hostile::all_cases();
  ASSERT_GT(cases.size(), 50u);
  for (const hostile::Case& c : cases) {
    bool refused = false;
    const std::size_t largest = largest_allocation_of([&] {
      try {
        c.decode(c.bytes);
      } catch (const calm::lattices::DecodeError&) {
        refused = true;
      }
    });
    EXPECT_TRUE(refused) << c.name;
    EXPECT_LT(largest, kDecodeAllocationMaxBytes)
        << c.name << " allocated " << largest << " bytes at once";
  }
}

}  // namespace
