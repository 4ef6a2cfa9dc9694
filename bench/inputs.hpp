#pragma once
/// Inputs shared by the benchmarks: random distinct keys, and a round-robin over prepared
/// inputs so that the branch predictor cannot learn one merge by heart (docs/benchmarks.md).
#include <cstddef>
#include <cstdint>
#include <random>
#include <unordered_set>
#include <vector>

namespace calm::bench {

/// `n` distinct random keys in the order they were drawn (fixed seed).
inline std::vector<std::uint64_t> distinct_keys(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::unordered_set<std::uint64_t> seen;
  std::vector<std::uint64_t> keys;
  keys.reserve(n);
  while (keys.size() < n) {
    const std::uint64_t k = rng();
    if (seen.insert(k).second) keys.push_back(k);
  }
  return keys;
}

/// A round-robin index over `count` inputs.
class Cycle {
 public:
  explicit Cycle(std::size_t count) : count_(count) {}
  std::size_t next() {
    const std::size_t i = i_;
    i_ = i_ + 1 == count_ ? 0 : i_ + 1;
    return i;
  }

 private:
  std::size_t count_, i_ = 0;
};

}  // namespace calm::bench
