/// The counting operator new and delete behind tests/support/counting_new.hpp. They are in a
/// file of their own, so the compiler never sees a new expression's operator delete call free.
#include "counting_new.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <new>

namespace {

constinit std::atomic<std::size_t> call_count{0};
constinit std::atomic<std::size_t> requested_bytes{0};
constinit std::atomic<std::size_t> largest_request_bytes{0};
constinit std::atomic<std::size_t> refused_above_bytes{std::numeric_limits<std::size_t>::max()};

void* allocate(std::size_t size, std::size_t align) {
  call_count.fetch_add(1, std::memory_order_relaxed);
  requested_bytes.fetch_add(size, std::memory_order_relaxed);
  std::size_t seen = largest_request_bytes.load(std::memory_order_relaxed);
  while (size > seen && !largest_request_bytes.compare_exchange_weak(seen, size)) {
  }
  if (size > refused_above_bytes.load(std::memory_order_relaxed)) throw std::bad_alloc();
  if (size == 0) size = 1;
  void* p = align <= alignof(std::max_align_t)
                ? std::malloc(size)
                : std::aligned_alloc(align, (size + align - 1) / align * align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* allocate_or_null(std::size_t size, std::size_t align) noexcept {
  try {
    return allocate(size, align);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

namespace calm::testing_support {

AllocationCount::AllocationCount() noexcept
    : calls_at_start_(call_count.load()), bytes_at_start_(requested_bytes.load()) {
  largest_request_bytes.store(0);
}
std::size_t AllocationCount::calls() const noexcept { return call_count.load() - calls_at_start_; }
std::size_t AllocationCount::bytes() const noexcept {
  return requested_bytes.load() - bytes_at_start_;
}
std::size_t AllocationCount::largest_bytes() const noexcept { return largest_request_bytes.load(); }

void refuse_allocations_above(std::size_t bytes) noexcept { refused_above_bytes.store(bytes); }

}  // namespace calm::testing_support

// std::aligned_alloc's blocks are freed by std::free too, so every delete is std::free.
void* operator new(std::size_t n) { return allocate(n, 0); }
void* operator new[](std::size_t n) { return allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate_or_null(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_or_null(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_or_null(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_or_null(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
