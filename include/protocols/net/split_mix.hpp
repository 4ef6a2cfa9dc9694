#pragma once
/// SplitMix64: a small, portable pseudo-random generator (Steele, Lea, Flood, 2014). The same
/// numbers on every compiler and standard library, which <random>'s distributions do not
/// promise; the simulator and the protocols' random choices draw from it so that a seed
/// replays a run bit for bit.
#include <cstdint>

namespace calm::protocols::net {

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

}  // namespace calm::protocols::net
