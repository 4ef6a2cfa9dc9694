#pragma once
/// CALM_ASSERT(condition, "why it must hold"): an invariant checked in every build, release
/// included (TigerBeetle's habit: a broken invariant stops the process at once, with where and
/// why, rather than letting it write or send a state that is already wrong). Use it where the
/// check is cheap (a comparison, a size); CALM_DEBUG_ASSERT for checks that cost (a scan, a
/// join), on unless NDEBUG.
///
/// Not for input: bad bytes from a client, a peer or a disk are errors the caller reports, never
/// assertions. An assertion that fails is a bug in calm (or in a user's lattice).
#include <cstdio>
#include <cstdlib>

namespace calm::detail {

[[noreturn]] inline void assertion_failed(const char* condition, const char* why, const char* file,
                                          int line) noexcept {
  std::fprintf(stderr, "calm: invariant broken at %s:%d: %s (%s)\n", file, line, why, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace calm::detail

#define CALM_ASSERT(condition, why)                                          \
  do {                                                                       \
    if (!(condition)) [[unlikely]] {                                         \
      ::calm::detail::assertion_failed(#condition, why, __FILE__, __LINE__); \
    }                                                                        \
  } while (false)

#ifdef NDEBUG
#define CALM_DEBUG_ASSERT(condition, why) \
  do {                                    \
  } while (false)
#else
#define CALM_DEBUG_ASSERT(condition, why) CALM_ASSERT(condition, why)
#endif
