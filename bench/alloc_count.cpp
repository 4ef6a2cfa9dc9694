/// The counting operator new and delete behind bench/alloc_count.hpp. They replace the global
/// ones for the whole calm_bench binary; outside a HeapCount they cost one thread-local load
/// and a predictable branch on top of malloc/free.
///
/// Not the tests' tests/support/counting_new.cpp: that one counts calls and the largest request,
/// on every thread, at all times; this one measures live heap (usable bytes and blocks, frees
/// subtracted) per thread inside a HeapCount, which needs malloc_usable_size on every free.
#include "alloc_count.hpp"

#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

thread_local bool counting = false;
thread_local calm::bench::HeapUse use;

void* allocate(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  if (counting) {
    use.bytes += static_cast<std::int64_t>(malloc_usable_size(p));
    ++use.blocks;
  }
  return p;
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  if (counting) {
    use.bytes -= static_cast<std::int64_t>(malloc_usable_size(p));
    --use.blocks;
  }
  std::free(p);
}

}  // namespace

namespace calm::bench {

HeapCount::HeapCount() {
  use = {};
  counting = true;
}
HeapCount::~HeapCount() { counting = false; }
HeapUse HeapCount::live() const { return use; }

}  // namespace calm::bench

// The replaceable forms that libstdc++ does not forward to these by itself. The nothrow forms
// call operator new(size_t) and operator delete(void*); the aligned forms are left alone
// (nothing measured here is over-aligned) and stay consistent among themselves.
void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
