#pragma once
// What calm's load tools measure: the latency of each operation in the measured window, and
// its percentiles.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace calm::apps {

class Latencies {
 public:
  void add(std::chrono::steady_clock::duration d) {
    ns_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
    sorted_ = false;
  }
  /// The p-th percentile (0 to 1) in microseconds; 0 when nothing was measured.
  double percentile_us(double p) {
    if (ns_.empty()) return 0.0;
    if (!sorted_) std::sort(ns_.begin(), ns_.end());
    sorted_ = true;
    const auto i = static_cast<std::size_t>(p * static_cast<double>(ns_.size() - 1));
    return static_cast<double>(ns_[i]) / 1000.0;
  }

 private:
  std::vector<std::int64_t> ns_;
  bool sorted_ = true;
};

}  // namespace calm::apps
