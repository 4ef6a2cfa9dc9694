#pragma once
/// ChunkedVector<T>: a sequence kept in contiguous chunks of at most `chunk_max` elements, for a
/// sorted container that takes inserts and erasures anywhere (DotMap's and AWSet's entries). An
/// insert or erase in the middle moves the elements of one chunk, and when a chunk splits or
/// empties the chunk list's headers, instead of every element after it as one flat vector does:
/// O(log n + chunk_max) element moves plus O(n / chunk_max) header moves, against O(n).
/// Iteration walks the chunks in order and stays contiguous within each. The caller keeps the
/// order; lower_bound finds a position in a sorted sequence, and a cursor walks it as fast as a
/// flat array.
///
/// Invariants (checked by check_invariants in the tests): no chunk is empty, none holds more
/// than chunk_max elements, and size() is the sum of their sizes. After an erase the chunk it
/// touched joins a neighbor when the two together are at most half full, so erasures do not
/// leave a trail of small chunks.
#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <cstddef>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/assert.hpp"

namespace calm::lattices::detail {

/// `Alloc` allocates the chunks' elements (tests pack chunks next to each other with it).
template <class T, class Alloc = std::allocator<T>>
class ChunkedVector {
  using Chunk = std::vector<T, Alloc>;
  /// One chunk's header in place: a small container (most are) costs no allocation beyond its
  /// elements' own.
  using Chunks = boost::container::small_vector<Chunk, 1>;

 public:
  /// A chunk splits in two when an insert takes it past this; a flat vector's move of 128
  /// elements is cheap beside the binary search that precedes it.
  static constexpr std::size_t chunk_max = 128;

  template <bool Const>
  class basic_iterator {
    using ChunksPtr = std::conditional_t<Const, const Chunks*, Chunks*>;

   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<Const, const T*, T*>;
    using reference = std::conditional_t<Const, const T&, T&>;

    basic_iterator() = default;
    /// iterator -> const_iterator.
    template <bool C = Const>
    requires C basic_iterator(const basic_iterator<false>& other)  // NOLINT: implicit, like std's
        : chunks_(other.chunks_), chunk_(other.chunk_), at_(other.at_) {}

    reference operator*() const { return (*chunks_)[chunk_][at_]; }
    pointer operator->() const { return &(*chunks_)[chunk_][at_]; }
    basic_iterator& operator++() {
      if (++at_ == (*chunks_)[chunk_].size()) {
        ++chunk_;
        at_ = 0;
      }
      return *this;
    }
    basic_iterator operator++(int) {
      basic_iterator old = *this;
      ++*this;
      return old;
    }
    basic_iterator& operator--() {
      if (at_ == 0) {
        at_ = (*chunks_)[--chunk_].size();
      }
      --at_;
      return *this;
    }
    basic_iterator operator--(int) {
      basic_iterator old = *this;
      --*this;
      return old;
    }
    friend bool operator==(const basic_iterator& x, const basic_iterator& y) {
      return x.chunk_ == y.chunk_ && x.at_ == y.at_;
    }

   private:
    friend class ChunkedVector;
    template <bool>
    friend class basic_iterator;
    basic_iterator(ChunksPtr chunks, std::size_t chunk, std::size_t at)
        : chunks_(chunks), chunk_(chunk), at_(at) {}

    ChunksPtr chunks_ = nullptr;
    std::size_t chunk_ = 0;  // chunks_->size() at the end
    std::size_t at_ = 0;     // 0 at the end
  };
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;
  using value_type = T;

  /// A forward-only position for linear passes (joins): an element pointer and its chunk's
  /// end, so a step is one increment and one well-predicted comparison, and reading is one
  /// load, as with a pointer into a flat vector. Positions are kept at an element (never at a
  /// chunk's end); the sequence's end is a null element pointer.
  /// Invalidated by any change to the vector.
  class cursor {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    cursor() = default;
    const T& operator*() const { return *at_; }
    const T* operator->() const { return at_; }
    cursor& operator++() {
      if (++at_ == end_) enter(chunk_ + 1);
      return *this;
    }
    cursor operator++(int) {
      cursor old = *this;
      ++*this;
      return old;
    }
    /// One step forward if `step`, else none, without a branch on `step` (a join steps one side
    /// when it holds the other's entry, a coin toss); not at the end.
    void step_if(bool step) {
      at_ += step;
      if (at_ == end_) enter(chunk_ + 1);
    }
    /// n steps forward, a chunk at a time; n must not pass the end.
    void advance(std::size_t n) {
      while (n != 0) {
        const auto left = static_cast<std::size_t>(end_ - at_);
        CALM_ASSERT(left != 0, "ChunkedVector::cursor::advance past the end");
        if (n < left) {
          at_ += n;
          return;
        }
        n -= left;
        enter(chunk_ + 1);
      }
    }
    /// The end of the contiguous elements from here: `last`'s position if it is in this chunk,
    /// else this chunk's end (for a loop over a raw span; jump_to(span_end) then steps on).
    const T* span_end(const cursor& last) const { return last.chunk_ == chunk_ ? last.at_ : end_; }
    /// To `p`, an element of this position's chunk at or after it, or that chunk's end (the
    /// next chunk's first element then).
    void jump_to(const T* p) {
      if (p == end_) {
        enter(chunk_ + 1);
      } else {
        at_ = p;
      }
    }
    /// By element pointer: distinct positions hold distinct elements, and the end is null. (The
    /// end once was the last chunk's end pointer, which may be the very address where another
    /// chunk's elements begin, as jemalloc packs same-sized allocations: a cursor entering
    /// that chunk compared equal to the end.)
    friend bool operator==(const cursor& x, const cursor& y) { return x.at_ == y.at_; }

   private:
    friend class ChunkedVector;
    cursor(const Chunk* chunk, const Chunk* last) : chunk_(chunk), last_(last) { enter(chunk); }
    /// Into `chunk`'s first element; past the last chunk, the end: null, as last() is.
    void enter(const Chunk* chunk) {
      chunk_ = chunk;
      if (chunk_ == last_) {
        at_ = end_ = nullptr;
        return;
      }
      at_ = chunk_->data();
      end_ = at_ + chunk_->size();
    }

    const Chunk* chunk_ = nullptr;
    const Chunk* last_ = nullptr;
    const T* at_ = nullptr;
    const T* end_ = nullptr;
  };
  cursor first() const { return cursor(chunks_.data(), chunks_.data() + chunks_.size()); }
  cursor last() const {
    cursor c;
    c.chunk_ = c.last_ = chunks_.data() + chunks_.size();
    return c;
  }

  ChunkedVector() = default;
  ChunkedVector(const ChunkedVector&) = default;
  ChunkedVector& operator=(const ChunkedVector&) = default;
  /// A moved-from vector is empty (small_vector's move empties the chunks; the count follows).
  /// Iterators do not survive a move: they point at the chunk list, which may be in place.
  ChunkedVector(ChunkedVector&& other) noexcept
      : chunks_(std::move(other.chunks_)), size_(std::exchange(other.size_, 0)) {
    other.chunks_.clear();
  }
  ChunkedVector& operator=(ChunkedVector&& other) noexcept {
    if (this == &other) return *this;  // clearing the source would empty it
    chunks_ = std::move(other.chunks_);
    size_ = std::exchange(other.size_, 0);
    other.chunks_.clear();
    return *this;
  }
  ~ChunkedVector() = default;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  iterator begin() { return {&chunks_, 0, 0}; }
  iterator end() { return {&chunks_, chunks_.size(), 0}; }
  const_iterator begin() const { return {&chunks_, 0, 0}; }
  const_iterator end() const { return {&chunks_, chunks_.size(), 0}; }

  void clear() {
    chunks_.clear();
    size_ = 0;
  }
  /// Room for the chunk headers of `n` elements appended in order (push_back fills each chunk
  /// to chunk_max; a chunk's own room grows as a vector's does).
  void reserve(std::size_t n) { chunks_.reserve(n / chunk_max + 1); }

  /// The last element; the vector must not be empty.
  const T& back() const { return chunks_.back().back(); }

  /// Appends at the end, filling the last chunk to chunk_max before starting another.
  void push_back(T value) {
    if (chunks_.empty() || chunks_.back().size() >= chunk_max) {
      start_chunk(std::move(value));
    } else {
      chunks_.back().push_back(std::move(value));
    }
    ++size_;
  }
  /// push_back for a loop that appends many elements (a join's output): it keeps the last
  /// chunk at hand instead of finding it in the chunk list for each element. Nothing else may
  /// change the vector while an appender is in use.
  class appender {
   public:
    explicit appender(ChunkedVector& v)
        : v_(v), chunk_(v.chunks_.empty() ? nullptr : &v.chunks_.back()) {}
    void push_back(const T& value) {
      if (chunk_ == nullptr || chunk_->size() >= chunk_max) [[unlikely]] {
        v_.start_chunk(value);
        chunk_ = &v_.chunks_.back();
      } else {
        chunk_->push_back(value);
      }
      ++v_.size_;
    }
    /// push_back of each element of [first, last), a chunk's room at a time (one copy of a
    /// block, not a store of the chunk's end per element).
    void append(const T* first, const T* last) {
      while (first != last) {
        if (chunk_ == nullptr || chunk_->size() >= chunk_max) {
          push_back(*first++);
          continue;
        }
        const auto n = std::min(static_cast<std::size_t>(last - first), chunk_max - chunk_->size());
        chunk_->insert(chunk_->end(), first, first + n);
        v_.size_ += n;
        first += n;
      }
    }

   private:
    ChunkedVector& v_;
    Chunk* chunk_;
  };

  /// The first position whose element is not `less` than `key`, in a sequence sorted by
  /// `less(element, key)`: a binary search over the chunks' last elements, then within one.
  template <class Key, class Less>
  const_iterator lower_bound(const Key& key, Less less) const {
    const std::size_t c = chunk_for(key, less);
    if (c == chunks_.size()) return end();
    const Chunk& chunk = chunks_[c];
    const auto at =
        std::partition_point(chunk.begin(), chunk.end(), [&](const T& e) { return less(e, key); });
    return {&chunks_, c, static_cast<std::size_t>(at - chunk.begin())};
  }
  template <class Key, class Less>
  iterator lower_bound(const Key& key, Less less) {
    const const_iterator it = std::as_const(*this).lower_bound(key, less);
    return {&chunks_, it.chunk_, it.at_};
  }

  /// Inserts before `pos` (into the chunk before it when `pos` is a chunk's start or the end, so
  /// appends fill the last chunk); returns the inserted element's position. A full chunk splits
  /// in halves first (so neither half outgrows its capacity), unless the element goes after
  /// the last one, which starts a new chunk: a sequence built in order keeps full chunks.
  iterator insert(const_iterator pos, T value) {
    if (chunks_.empty()) {
      push_back(std::move(value));
      return begin();
    }
    std::size_t c = pos.chunk_;
    std::size_t at = pos.at_;
    if (at == 0 && c > 0) {  // the end of the chunk before: no chunk is entered by its start
      --c;
      at = chunks_[c].size();
    }
    if (chunks_[c].size() >= chunk_max) {
      if (c + 1 == chunks_.size() && at == chunks_[c].size()) {
        push_back(std::move(value));
        return {&chunks_, c + 1, 0};
      }
      // The new chunk's header and room first: what can throw (bad_alloc) happens before any
      // element moves.
      const std::size_t keep = chunks_[c].size() / 2;
      Chunk room;
      room.reserve(chunks_[c].size() - keep + 1);
      chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(c + 1), std::move(room));
      Chunk& full = chunks_[c];
      Chunk& upper = chunks_[c + 1];
      upper.assign(std::make_move_iterator(full.begin() + static_cast<std::ptrdiff_t>(keep)),
                   std::make_move_iterator(full.end()));
      full.erase(full.begin() + static_cast<std::ptrdiff_t>(keep), full.end());
      if (at > keep) {  // at == keep: the end of the lower half, as the rule above prefers
        ++c;
        at -= keep;
      }
    }
    Chunk& chunk = chunks_[c];
    chunk.insert(chunk.begin() + static_cast<std::ptrdiff_t>(at), std::move(value));
    ++size_;
    return {&chunks_, c, at};
  }

  /// Erases the element at `pos`; returns the position of the one after it.
  iterator erase(const_iterator pos) {
    CALM_ASSERT(pos.chunk_ < chunks_.size() && pos.at_ < chunks_[pos.chunk_].size(),
                "ChunkedVector::erase at an element");
    std::size_t c = pos.chunk_;
    std::size_t at = pos.at_;
    {
      Chunk& chunk = chunks_[c];
      chunk.erase(chunk.begin() + static_cast<std::ptrdiff_t>(at));
    }
    --size_;
    // An empty chunk goes; a chunk that fits with a neighbor, the two at most half full, joins
    // it when the neighbor has the room already (no allocation, so nothing can throw after
    // the element is gone; a merge is only an economy).
    const auto fits = [&](std::size_t x, std::size_t y) {
      const std::size_t both = chunks_[x].size() + chunks_[y].size();
      return both <= chunk_max / 2 && both <= chunks_[x == c ? y : x].capacity();
    };
    if (chunks_[c].empty()) {
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
      at = 0;
    } else if (c > 0 && fits(c - 1, c)) {
      Chunk& prev = chunks_[c - 1];
      at += prev.size();
      prev.insert(prev.end(), std::make_move_iterator(chunks_[c].begin()),
                  std::make_move_iterator(chunks_[c].end()));
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
      --c;
    } else if (c + 1 < chunks_.size() && fits(c, c + 1)) {
      Chunk& next = chunks_[c + 1];
      next.insert(next.begin(), std::make_move_iterator(chunks_[c].begin()),
                  std::make_move_iterator(chunks_[c].end()));
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
    }
    if (c < chunks_.size() && at == chunks_[c].size()) {
      ++c;
      at = 0;
    }
    return {&chunks_, c, at};
  }

  /// Equal elements in the same order, however they are chunked.
  friend bool operator==(const ChunkedVector& a, const ChunkedVector& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

  /// The invariants above; for tests.
  bool check_invariants() const {
    std::size_t total = 0;
    for (const Chunk& chunk : chunks_) {
      if (chunk.empty() || chunk.size() > chunk_max) return false;
      total += chunk.size();
    }
    return total == size_;
  }
  std::size_t chunk_count() const { return chunks_.size(); }

 private:
  /// A last chunk that holds `value`. The first grows as a vector does (a small sequence stays
  /// small); one after a full chunk takes room for chunk_max at once, since the sequence is
  /// large and its chunks would otherwise grow by doubling, moving their elements seven times.
  /// If anything throws, no chunk is added (none is ever empty).
  void start_chunk(T value) {
    Chunk room;
    if (!chunks_.empty()) room.reserve(chunk_max);
    room.push_back(std::move(value));
    chunks_.push_back(std::move(room));
  }
  /// The first chunk whose last element is not `less` than `key`, or chunks_.size().
  template <class Key, class Less>
  std::size_t chunk_for(const Key& key, Less& less) const {
    const auto c = std::partition_point(chunks_.begin(), chunks_.end(), [&](const Chunk& chunk) {
      return less(chunk.back(), key);
    });
    return static_cast<std::size_t>(c - chunks_.begin());
  }

  Chunks chunks_;  // none empty, none longer than chunk_max
  std::size_t size_ = 0;
};

}  // namespace calm::lattices::detail
