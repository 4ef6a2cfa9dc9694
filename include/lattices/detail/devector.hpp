#pragma once
/// Devector<T>: a contiguous vector that inserts near either end in O(1) amortized, for the
/// sequence's leaf headers (a leaf splits where the edits are: at the end for typing and RPUSH,
/// at the front for LPUSH). Access is a flat vector's, pointer plus index, which is why it is not
/// a std::deque (whose index arithmetic made typing 45% slower). boost::container::devector
/// would do, but it arrived in Boost 1.75 and Debian 12 ships 1.74.
///
/// The live elements are buf_[head_, buf_.size()); the slots before head_ hold default-built
/// values (a Leaf's default owns no memory), which a front insert moves into. An insert shifts
/// the shorter side: O(min(i, size() - i)) element moves.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

#include "lattices/assert.hpp"

namespace calm::lattices::detail {

template <class T>
class Devector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  Devector() = default;
  /// A copy holds the elements only, not the room before them.
  Devector(const Devector& other) : buf_(other.begin(), other.end()) {}
  /// A moved-from devector is empty (a defaulted move would leave head_ past its empty buffer).
  Devector(Devector&& other) noexcept
      : buf_(std::move(other.buf_)), head_(std::exchange(other.head_, 0)) {
    other.buf_.clear();
  }
  Devector& operator=(const Devector& other) {
    if (this != &other) {
      buf_.assign(other.begin(), other.end());
      head_ = 0;
    }
    return *this;
  }
  Devector& operator=(Devector&& other) noexcept {
    if (this != &other) {
      buf_ = std::move(other.buf_);
      head_ = std::exchange(other.head_, 0);
      other.buf_.clear();
    }
    return *this;
  }

  std::size_t size() const { return buf_.size() - head_; }
  bool empty() const { return buf_.size() == head_; }

  T& operator[](std::size_t i) { return buf_[head_ + i]; }
  const T& operator[](std::size_t i) const { return buf_[head_ + i]; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  T& back() { return buf_.back(); }
  const T& back() const { return buf_.back(); }

  T* begin() { return buf_.data() + head_; }
  T* end() { return buf_.data() + buf_.size(); }
  const T* begin() const { return buf_.data() + head_; }
  const T* end() const { return buf_.data() + buf_.size(); }

  void push_back(T value) { buf_.push_back(std::move(value)); }
  T& emplace_back() { return buf_.emplace_back(); }
  void clear() {
    buf_.clear();
    head_ = 0;
  }

  /// Inserts `value` before index `i` (<= size()), moving the elements on the shorter side.
  void insert(std::size_t i, T value) {
    CALM_ASSERT(i <= size(), "Devector: insert position past the end");
    if (i >= size() / 2) {
      buf_.insert(buf_.begin() + static_cast<std::ptrdiff_t>(head_ + i), std::move(value));
      return;
    }
    if (head_ == 0) {  // make room in front: as much as there are elements, so O(1) amortized
      const std::size_t room = std::max<std::size_t>(size(), min_room);
      buf_.insert(buf_.begin(), room, T{});
      head_ = room;
    }
    --head_;
    const auto first = buf_.begin() + static_cast<std::ptrdiff_t>(head_);
    std::move(first + 1, first + 1 + static_cast<std::ptrdiff_t>(i), first);
    first[static_cast<std::ptrdiff_t>(i)] = std::move(value);
  }

 private:
  static constexpr std::size_t min_room = 8;
  std::vector<T> buf_;
  std::size_t head_ = 0;  // slots before it are free
};

}  // namespace calm::lattices::detail
