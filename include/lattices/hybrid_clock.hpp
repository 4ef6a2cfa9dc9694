#pragma once
/// HlcTimestamp and HybridClock: hybrid logical clocks (Kulkarni, Demirbas et al., 2014).
///
/// HlcTimestamp is (wall_ms, logical), ordered lexicographically: a total order, so
/// `Max<HlcTimestamp>` is a lattice (bottom {0, 0}) and LWWRegister uses it as its version.
///
/// HybridClock hands out timestamps that stay close to physical time but never go back:
///   now(wall_ms):               {wall_ms, 0} if the wall clock is ahead of every timestamp
///                               seen so far, else the successor of the last one;
///   update(received, wall_ms):  the same, against the larger of the last and the received
///                               timestamp (the clock "receives" a message's timestamp).
/// Every timestamp returned is strictly greater than every timestamp this clock returned or
/// received before, whatever the wall clock does (it may stall or go backwards).
///
/// Overflow: the successor of {w, UINT32_MAX} is {w + 1, 0}: the logical counter never wraps,
/// the wall component is bumped instead (the clock runs 1 ms ahead of physical time until the
/// wall clock catches up). The successor of {UINT64_MAX, UINT32_MAX} does not exist:
/// std::overflow_error, with the clock unchanged.
///
/// Rationale: the clock is a plain state machine; the physical time is an argument, so tests
/// and the simulator drive it with any wall clock. now() and update(received) without a wall
/// time read std::chrono::system_clock (milliseconds since the Unix epoch).
#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>

namespace calm::lattices {

/// A hybrid logical clock timestamp: milliseconds of physical time, then a logical counter
/// that orders events within one millisecond (or while the wall clock lags behind).
struct HlcTimestamp {
  std::uint64_t wall_ms = 0;
  std::uint32_t logical = 0;

  friend constexpr auto operator<=>(const HlcTimestamp&, const HlcTimestamp&) = default;
  friend constexpr bool operator==(const HlcTimestamp&, const HlcTimestamp&) = default;

  /// The next timestamp: logical + 1, or {wall_ms + 1, 0} when logical is at its maximum.
  /// Throws std::overflow_error at {UINT64_MAX, UINT32_MAX}.
  constexpr HlcTimestamp successor() const {
    if (logical < std::numeric_limits<std::uint32_t>::max()) return {wall_ms, logical + 1};
    if (wall_ms == std::numeric_limits<std::uint64_t>::max()) {
      throw std::overflow_error("calm: HlcTimestamp has no successor");
    }
    return {wall_ms + 1, 0};
  }

  friend std::ostream& operator<<(std::ostream& os, const HlcTimestamp& t) {
    return os << "Hlc(" << t.wall_ms << '.' << t.logical << ')';
  }

  /// Encoding: wall_ms as 8 bytes, then logical as 4 bytes.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(wall_ms, logical);
  }
};

/// A hybrid logical clock at one replica; see the top of this file.
class HybridClock {
 public:
  HybridClock() = default;
  /// A clock that resumes after `last` (e.g. restored from disk).
  explicit HybridClock(HlcTimestamp last) : last_(last) {}

  /// Milliseconds since the Unix epoch from std::chrono::system_clock.
  static std::uint64_t system_wall_ms() {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
  }

  /// A timestamp for a local event at physical time `wall_ms`.
  HlcTimestamp now(std::uint64_t wall_ms) { return advance(last_, wall_ms); }
  HlcTimestamp now() { return now(system_wall_ms()); }

  /// A timestamp for receiving a message stamped `received`, at physical time `wall_ms`.
  HlcTimestamp update(const HlcTimestamp& received, std::uint64_t wall_ms) {
    return advance(received > last_ ? received : last_, wall_ms);
  }
  HlcTimestamp update(const HlcTimestamp& received) { return update(received, system_wall_ms()); }

  /// The last timestamp returned ({0, 0} for a fresh clock).
  const HlcTimestamp& last() const { return last_; }

 private:
  HlcTimestamp advance(const HlcTimestamp& seen, std::uint64_t wall_ms) {
    last_ = wall_ms > seen.wall_ms ? HlcTimestamp{wall_ms, 0} : seen.successor();
    return last_;
  }

  HlcTimestamp last_{};
};

}  // namespace calm::lattices
