#pragma once
/// Heap accounting for the memory benchmarks: bench/alloc_count.cpp replaces the global
/// operator new and delete of calm_bench with malloc/free plus a count, kept per thread and
/// only while a HeapCount is alive on that thread (otherwise one thread-local flag test).
///
/// Bytes are malloc_usable_size of each block: what the program may use of it, at least what
/// it asked for. glibc adds 8 bytes of chunk header per block on top of that, so a block's
/// footprint in the heap is bytes + 8 * blocks (rounded to 16).
#include <cstdint>

namespace calm::bench {

struct HeapUse {
  std::int64_t bytes = 0;   // usable bytes allocated minus freed since counting started
  std::int64_t blocks = 0;  // blocks allocated minus freed since counting started
};

/// Counts this thread's allocations from construction to destruction. Blocks allocated
/// before and freed during the count are subtracted: measure values built inside the scope.
class HeapCount {
 public:
  HeapCount();
  ~HeapCount();
  HeapCount(const HeapCount&) = delete;
  HeapCount& operator=(const HeapCount&) = delete;
  /// Live heap use of what was allocated since construction.
  HeapUse live() const;
};

}  // namespace calm::bench
