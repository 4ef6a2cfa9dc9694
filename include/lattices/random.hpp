#pragma once
/// The project's one source of randomness. SplitMix64 (Steele, Lea, Flood, 2014): a small,
/// portable pseudo-random generator, giving the same numbers on every compiler and standard
/// library, which <random>'s distributions and std::shuffle do not promise. The simulator, the
/// protocols' random choices, flow's shuffled arrivals and calm-kvs's random replies draw from
/// it, so that a seed replays a run bit for bit with libstdc++ and libc++ alike.
/// `entropy_seed()` is the one place that asks the system for a seed (a process's run id, a
/// real node's first replica id); nothing that a test replays calls it.
#include <cstdint>
#include <iterator>
#include <random>
#include <utility>

namespace calm {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, bound) up to a bias below bound / 2^64; bound > 0.
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }
  /// Uniform in [0, 1), 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double probability) { return unit() < probability; }

 private:
  std::uint64_t state_;
};

/// Fisher-Yates over [first, last) with `random`: the same order for the same seed everywhere.
template <std::random_access_iterator It>
void shuffle(It first, It last, SplitMix64& random) {
  const auto n = static_cast<std::uint64_t>(last - first);
  for (std::uint64_t i = n; i > 1; --i) {
    const std::uint64_t j = random.below(i);
    using std::swap;
    swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
  }
}

/// 64 bits from the system's entropy source, for seeds that must differ between runs.
inline std::uint64_t entropy_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace calm
