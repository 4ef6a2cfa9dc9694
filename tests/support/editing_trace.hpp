#pragma once
/// Recorded text-editing traces (../shared/traces, described by the README.md there): loading
/// them, replaying them into a sequence document, and GapBuffer, the plain-string baseline that
/// the sequence CRDTs' benchmarks compare against.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace calm::traces {

/// Deletes `del` code points at `pos`, then inserts `ins` there (JavaScript's Array.splice).
struct Patch {
  std::size_t pos = 0;  ///< in Unicode code points
  std::size_t del = 0;  ///< in Unicode code points
  std::string ins;      ///< UTF-8
};

struct Txn {
  std::uint32_t agent = 0;
  /// Indexes of earlier transactions this one comes causally after; {i - 1} (none for the
  /// first) in a sequential trace.
  std::vector<std::size_t> parents;
  std::vector<Patch> patches;
};

struct Trace {
  bool concurrent = false;
  std::uint32_t agents = 1;
  std::string start_content;
  std::string end_content;
  std::vector<Txn> txns;
};

/// Reads a gzip-compressed JSON trace. Throws std::runtime_error naming `path` on any failure:
/// a missing or unreadable file, bad gzip or JSON, a missing field or one of the wrong type, an
/// agent >= numAgents, a parent index >= its own transaction's index.
Trace load_trace(const std::filesystem::path& path);

/// The directory of the shared traces (the compile definition CALM_TRACES_DIR).
std::filesystem::path traces_dir();

namespace detail {

[[noreturn]] inline void bad_utf8() { throw std::invalid_argument("calm::traces: invalid UTF-8"); }

/// Decodes `utf8` into `out`, which has room for utf8.size() code points, and returns the end
/// of what it wrote. Throws std::invalid_argument on invalid UTF-8 (a stray or missing
/// continuation byte, an overlong form, a surrogate, a code point above U+10FFFF).
inline char32_t* utf8_decode(std::string_view utf8, char32_t* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const auto* const end = p + utf8.size();
  while (p != end) {
    const unsigned char lead = *p;
    if (lead < 0x80) {
      *out++ = lead;
      ++p;
      continue;
    }
    std::size_t len = 0;
    char32_t min = 0;
    if ((lead & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
    } else {
      bad_utf8();
    }
    if (static_cast<std::size_t>(end - p) < len) bad_utf8();
    char32_t c = lead & (0x7Fu >> len);
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[k] & 0xC0) != 0x80) bad_utf8();
      c = (c << 6) | (p[k] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) bad_utf8();
    *out++ = c;
    p += len;
  }
  return out;
}

/// Appends the UTF-8 encoding of the valid code point `c` to `out`.
inline void utf8_append(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace detail

/// A text as a gap buffer of code points: the floor for the sequence CRDTs' benchmarks. An edit
/// moves the gap to its position (by the distance from the last edit) and writes into it; the
/// buffer doubles when the gap runs out, so edits allocate only amortized O(1) times.
/// insert(replica, pos, utf8) lets replay_local drive it like a CRDT document.
class GapBuffer {
 public:
  GapBuffer() = default;
  explicit GapBuffer(std::string_view utf8) { insert(0, utf8); }

  /// The length in code points.
  std::size_t size() const noexcept { return buf_.size() - (gap_end_ - gap_begin_); }

  /// Inserts `utf8` before code point `pos`. Throws std::out_of_range when pos > size(), and
  /// std::invalid_argument (leaving the text as it was) when `utf8` is not valid UTF-8.
  void insert(std::size_t pos, std::string_view utf8) {
    if (pos > size()) throw std::out_of_range("calm::traces::GapBuffer::insert: pos > size()");
    if (utf8.empty()) return;
    // A code point takes at least one byte, so utf8.size() code points of room is enough.
    reserve_gap(utf8.size());
    move_gap(pos);
    gap_begin_ =
        static_cast<std::size_t>(detail::utf8_decode(utf8, buf_.data() + gap_begin_) - buf_.data());
  }
  void insert(std::uint64_t /*replica*/, std::size_t pos, std::string_view utf8) {
    insert(pos, utf8);
  }

  /// Erases `n` code points from `pos`. Throws std::out_of_range when pos + n > size().
  void erase(std::size_t pos, std::size_t n) {
    if (pos > size() || n > size() - pos) {
      throw std::out_of_range("calm::traces::GapBuffer::erase: pos + n > size()");
    }
    if (n == 0) return;
    if (pos + n <= gap_begin_) {
      // Ends at or before the gap: bring the gap to the range's end and widen it backwards
      // (no copy at all for a backspace right before the gap).
      move_gap(pos + n);
      gap_begin_ -= n;
    } else {
      move_gap(pos);
      gap_end_ += n;
    }
  }

  /// The text as UTF-8.
  std::string str() const {
    std::string out;
    out.reserve(size());
    const auto append = [&out](const char32_t* first, const char32_t* last) {
      for (; first != last; ++first) {
        if (*first < 0x80) {
          out.push_back(static_cast<char>(*first));
        } else {
          detail::utf8_append(out, *first);
        }
      }
    };
    append(buf_.data(), buf_.data() + gap_begin_);
    append(buf_.data() + gap_end_, buf_.data() + buf_.size());
    return out;
  }

  /// The code point at `i` (< size()).
  char32_t operator[](std::size_t i) const noexcept {
    return i < gap_begin_ ? buf_[i] : buf_[i + (gap_end_ - gap_begin_)];
  }

 private:
  /// Moves the gap so that it starts at code point `pos` (<= size()).
  void move_gap(std::size_t pos) {
    char32_t* const b = buf_.data();
    if (pos < gap_begin_) {
      std::copy_backward(b + pos, b + gap_begin_, b + gap_end_);
      gap_end_ -= gap_begin_ - pos;
      gap_begin_ = pos;
    } else if (pos > gap_begin_) {
      const std::size_t count = pos - gap_begin_;
      std::copy(b + gap_end_, b + gap_end_ + count, b + gap_begin_);
      gap_begin_ += count;
      gap_end_ += count;
    }
  }

  /// Makes the gap at least `n` code points wide, at least doubling the buffer when it grows.
  void reserve_gap(std::size_t n) {
    if (gap_end_ - gap_begin_ >= n) return;
    const std::size_t tail = buf_.size() - gap_end_;
    const std::size_t capacity =
        std::max({buf_.size() * 2, size() + n, static_cast<std::size_t>(64)});
    std::vector<char32_t> grown(capacity);
    std::copy(buf_.data(), buf_.data() + gap_begin_, grown.data());
    std::copy(buf_.data() + gap_end_, buf_.data() + buf_.size(), grown.data() + (capacity - tail));
    buf_ = std::move(grown);
    gap_end_ = capacity - tail;
  }

  std::vector<char32_t> buf_;
  std::size_t gap_begin_ = 0;
  std::size_t gap_end_ = 0;
};

namespace detail {

[[noreturn]] inline void bad_parent() {
  throw std::invalid_argument("calm::traces: a parent index >= its transaction's index");
}

}  // namespace detail

/// Replays every patch of `t` in order as local edits at one replica (for sequential traces):
/// erase(pos, del) when del > 0, then insert(replica, pos, ins) when ins is not empty. A
/// non-empty start_content is inserted first; `doc` is expected to be empty. The deltas the
/// edits return are dropped.
template <class Doc>
void replay_local(const Trace& t, Doc& doc, std::uint64_t replica = 1) {
  if (!t.start_content.empty()) static_cast<void>(doc.insert(replica, 0, t.start_content));
  for (const Txn& txn : t.txns) {
    for (const Patch& p : txn.patches) {
      if (p.del > 0) static_cast<void>(doc.erase(p.pos, p.del));
      if (!p.ins.empty()) static_cast<void>(doc.insert(replica, p.pos, p.ins));
    }
  }
}

/// Replays `t` with one Doc per agent (replica id agent + 1). Before each transaction, its
/// agent's replica merges, in trace order, the deltas of every transaction in the causal closure
/// of its parents that it has not merged yet; it then applies the transaction's patches as
/// local edits (as replay_local does) and keeps their deltas, merged into one Doc per
/// transaction. At the end every replica merges the deltas it has not seen, so that each should
/// equal t.end_content. A non-empty start_content is inserted by agent 0's replica before the
/// first transaction and merged by all. Throws std::invalid_argument on an agent >= t.agents or
/// a parent index >= its transaction's index (load_trace never returns such a trace).
template <class Doc>
std::vector<Doc> replay_concurrent(const Trace& t) {
  const std::size_t n = t.txns.size();
  std::vector<Doc> replicas(t.agents);
  if (!t.start_content.empty() && !replicas.empty()) {
    const Doc start = replicas[0].insert(1, 0, t.start_content);
    for (std::size_t a = 1; a < replicas.size(); ++a) static_cast<void>(replicas[a].merge(start));
  }
  std::vector<Doc> deltas(n);
  // included[a][j]: agent a's replica holds transaction j's deltas. Always a causally closed set,
  // so the walk below stops at any transaction already included.
  std::vector<std::vector<bool>> included(t.agents, std::vector<bool>(n, false));
  std::vector<std::size_t> stack;
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < n; ++i) {
    const Txn& txn = t.txns[i];
    if (txn.agent >= t.agents) {
      throw std::invalid_argument("calm::traces: a transaction's agent >= the trace's agents");
    }
    Doc& doc = replicas[txn.agent];
    std::vector<bool>& seen = included[txn.agent];
    missing.clear();
    for (const std::size_t p : txn.parents) {
      if (p >= i) detail::bad_parent();
      if (!seen[p]) stack.push_back(p);
    }
    while (!stack.empty()) {
      const std::size_t j = stack.back();
      stack.pop_back();
      if (seen[j]) continue;
      seen[j] = true;
      missing.push_back(j);
      for (const std::size_t p : t.txns[j].parents) {
        if (p >= j) detail::bad_parent();
        if (!seen[p]) stack.push_back(p);
      }
    }
    // Parents precede children in the trace, so ascending order is a causal order.
    std::sort(missing.begin(), missing.end());
    for (const std::size_t j : missing) static_cast<void>(doc.merge(deltas[j]));

    Doc& delta = deltas[i];
    bool first = true;
    const auto keep = [&delta, &first](Doc&& d) {
      if (first) {
        delta = std::move(d);
        first = false;
      } else {
        static_cast<void>(delta.merge(d));
      }
    };
    const std::uint64_t replica = std::uint64_t{txn.agent} + 1;
    for (const Patch& p : txn.patches) {
      if (p.del > 0) keep(doc.erase(p.pos, p.del));
      if (!p.ins.empty()) keep(doc.insert(replica, p.pos, p.ins));
    }
    seen[i] = true;
  }
  for (std::size_t a = 0; a < replicas.size(); ++a) {
    for (std::size_t j = 0; j < n; ++j) {
      if (!included[a][j]) static_cast<void>(replicas[a].merge(deltas[j]));
    }
  }
  return replicas;
}

}  // namespace calm::traces
