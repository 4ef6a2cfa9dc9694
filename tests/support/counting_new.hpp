#pragma once
/// Allocations counted, for the tests that measure them: tests/support/counting_new.cpp
/// replaces every replaceable global operator new and delete (plain and array; aligned;
/// nothrow; sized deletes) with malloc/free plus a count. It goes into its own test executables
/// only (CMake's calm_counting_new object library), never into calm_tests.
///
/// Counted: every call of operator new, of any form, on any thread, the bytes asked, and the
/// largest single request. Every form is replaced, so that no block from a runtime's operator new
/// (a sanitizer's, say) is freed by these deletes, or the other way round.
///
/// bench/alloc_count.cpp has its own replacement: it counts live bytes (malloc_usable_size,
/// frees subtracted) per thread, which these tests do not need.
#include <cstddef>

namespace calm::testing_support {

/// What operator new was asked for from construction on. The largest request is one record
/// for the program, restarted by each AllocationCount: use one at a time.
class AllocationCount {
 public:
  AllocationCount() noexcept;
  /// Calls of operator new since construction.
  std::size_t calls() const noexcept;
  /// Bytes asked of operator new since construction, all calls together (frees not
  /// subtracted): the work of copying, where calls() counts only the copies.
  std::size_t bytes() const noexcept;
  /// The largest size asked of operator new since construction, refused requests included.
  std::size_t largest_bytes() const noexcept;

 private:
  std::size_t calls_at_start_;
  std::size_t bytes_at_start_;
};

/// From now on, operator new throws std::bad_alloc for any request above `bytes` (after
/// counting it). By default nothing is refused that malloc grants.
void refuse_allocations_above(std::size_t bytes) noexcept;

/// Makes `p` escape to code the optimizer cannot see, so that the allocation behind it must
/// really happen: clang at -O2 and above elides a new-expression's allocation (std::vector's
/// included) whose pointer never escapes, and a counter would then see nothing.
inline void keep(const void* p) { __asm__ volatile("" : : "r"(p) : "memory"); }

}  // namespace calm::testing_support
