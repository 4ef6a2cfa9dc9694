// "Decoding allocates by the bytes present, never by a length it read", measured: this program
// replaces the global operator new with one that records the largest single request (which is
// why it is an executable of its own), and decodes every hostile input of tests/hostile_bytes.hpp:
// strings claiming 1 GiB and 16 GiB, containers claiming 2^40 elements, inside the library's
// CRDTs and cereal's std types.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <lattices/lattices.hpp>
#include <new>
#include <vector>

#include "../hostile_bytes.hpp"

namespace {
std::atomic<bool> tracking{false};
std::atomic<std::size_t> largest_bytes{0};
/// Refused outright, tracked or not: a decoder that asks for this much must not get it (the
/// machine is shared), and the test still sees the request.
constexpr std::size_t kRefusedBytes = std::size_t{256} << 20;

void* counted_alloc(std::size_t size, std::size_t align) {
  if (tracking.load(std::memory_order_relaxed)) {
    std::size_t seen = largest_bytes.load(std::memory_order_relaxed);
    while (size > seen && !largest_bytes.compare_exchange_weak(seen, size)) {
    }
  }
  if (size > kRefusedBytes) throw std::bad_alloc();
  if (size == 0) size = 1;
  void* p = align <= alignof(std::max_align_t)
                ? std::malloc(size)
                : std::aligned_alloc(align, (size + align - 1) / align * align);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size, 0); }
void* operator new[](std::size_t size) { return counted_alloc(size, 0); }
void* operator new(std::size_t size, std::align_val_t align) {
  return counted_alloc(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return counted_alloc(size, static_cast<std::size_t>(align));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

namespace hostile = calm::lattices::hostile;

/// The largest single allocation that decoding any of the hostile inputs may make.
constexpr std::size_t kDecodeAllocationMaxBytes = std::size_t{1} << 20;

template <class F>
std::size_t largest_allocation_of(F&& f) {
  largest_bytes.store(0);
  tracking.store(true);
  f();
  tracking.store(false);
  return largest_bytes.load();
}

TEST(DecodeAllocations, TheTrackerSeesABigAllocation) {
  const std::size_t largest = largest_allocation_of([] {
    std::vector<char> big(4 * kDecodeAllocationMaxBytes);
    big[big.size() / 2] = 1;
    volatile char sink = big[big.size() / 2];
    (void)sink;
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
    EXPECT_LT(largest, kDecodeAllocationMaxBytes) << c.name << " allocated " << largest
                                                  << " bytes at once";
  }
}

}  // namespace
