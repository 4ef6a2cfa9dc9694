#pragma once
/// Text<Id>: a replicated string of Unicode code points, stored as UTF-8 runs (the List
/// algorithm of detail/sequence.hpp, with a piece's values kept as one UTF-8 string).
///
/// State, order, bottom and merge: as List<char32_t, Id>.
/// Mutators, each returning its delta: insert(replica, pos, utf8), erase(pos, n). Positions and
/// lengths count code points; text that is not valid UTF-8 is refused (std::invalid_argument)
/// before anything changes. str() is the document as UTF-8.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lattices/detail/sequence.hpp"

namespace calm::lattices {

namespace detail {

/// The number of code points of `s`, or nullopt when it is not valid UTF-8 (overlong forms,
/// surrogates and values past U+10FFFF included).
inline std::optional<std::uint64_t> utf8_length(std::string_view s) {
  std::uint64_t n = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      ++n;
      continue;
    }
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (s.size() - i <= extra) return std::nullopt;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return std::nullopt;
    }
    i += extra + 1;
    ++n;
  }
  return n;
}

struct TextContent {
  using Storage = std::string;
  /// No backward runs (detail/sequence.hpp): their UTF-8 would have to be read from the end.
  static constexpr bool backward_runs = false;
  /// No bound on a run's values: a split copies bytes, and typing makes long runs.
  static constexpr std::uint64_t run_values_max = std::numeric_limits<std::uint64_t>::max();
  static void append(Storage& s, const Storage& more) { s += more; }
  /// The byte offset of code point `k` of valid UTF-8 `s` that has `length` code points: a
  /// walk from the nearer end (an edit while typing cuts a run near its end).
  static std::size_t offset(const Storage& s, std::uint64_t k, std::uint64_t length) {
    if (s.size() == length) return static_cast<std::size_t>(k);  // ASCII
    if (k >= length) return s.size();
    std::size_t i = 0;
    if (k <= length - k) {
      for (; k > 0; --k) i = next(s, i);
    } else {
      i = s.size();
      for (std::uint64_t back = length - k; back > 0; --back) i = previous(s, i);
    }
    return i;
  }
  static Storage slice(const Storage& s, std::uint64_t from, std::uint64_t to,
                       std::uint64_t length) {
    const std::size_t a = offset(s, from, length);
    const std::size_t b = offset(s, to, length);
    return s.substr(a, b - a);
  }
  /// Where a walk through one string stopped (code point k starts at `byte`): slices taken in
  /// order along a run (a rebuild's, a delta's) each walk on from the last, so cutting a run
  /// of n code points into any number of slices walks it about once, not once per slice.
  struct Cursor {
    std::uint64_t k = 0;
    std::size_t byte = 0;
  };
  static std::size_t offset(const Storage& s, std::uint64_t k, std::uint64_t length, Cursor& at) {
    if (s.size() == length) return static_cast<std::size_t>(k);  // ASCII
    const std::uint64_t nearer_end = std::min(k, length - std::min(k, length));
    if (k < at.k || k - at.k > nearer_end) {
      at = {k, offset(s, k, length)};
      return at.byte;
    }
    for (; at.k < k; ++at.k) at.byte = next(s, at.byte);
    return at.byte;
  }
  static Storage slice(const Storage& s, std::uint64_t from, std::uint64_t to, std::uint64_t length,
                       Cursor& at) {
    const std::size_t a = offset(s, from, length, at);
    const std::size_t b = offset(s, to, length, at);
    return s.substr(a, b - a);
  }
  /// The runs [at[i], at[i + 1]) of `s`, for 0 = at[0] < ... < at.back() = length: one walk
  /// over the code points, where slice() would walk from the start for each run.
  static std::vector<Storage> cut(Storage&& s, const std::vector<std::uint64_t>& at,
                                  std::uint64_t length) {
    std::vector<Storage> out;
    out.reserve(at.size() - 1);
    const bool ascii = s.size() == length;
    std::size_t byte = 0;  // where code point k starts
    std::uint64_t k = 0;
    for (std::size_t i = 0; i + 1 < at.size(); ++i) {
      const std::size_t from = byte;
      if (ascii) {
        byte = static_cast<std::size_t>(at[i + 1]);
      } else {
        for (; k < at[i + 1]; ++k) byte = next(s, byte);
      }
      out.push_back(s.substr(from, byte - from));
    }
    return out;
  }
  /// Code point by code point, the greater one (UTF-8's byte order is code point order).
  static Storage max_each(const Storage& a, const Storage& b, std::uint64_t length) {
    Storage out;
    std::size_t i = 0;
    std::size_t j = 0;
    for (std::uint64_t k = 0; k < length; ++k) {
      const std::size_t i2 = next(a, i);
      const std::size_t j2 = next(b, j);
      const std::string_view x(a.data() + i, i2 - i);
      const std::string_view y(b.data() + j, j2 - j);
      out += std::max(x, y);
      i = i2;
      j = j2;
    }
    return out;
  }
  /// The byte after the code point that starts at byte i.
  static std::size_t next(std::string_view s, std::size_t i) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) ++i;
    return i;
  }
  /// The first byte of the code point that ends before byte i (i > 0).
  static std::size_t previous(std::string_view s, std::size_t i) {
    --i;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) --i;
    return i;
  }
  static void truncate(Storage& s, std::uint64_t n, std::uint64_t length) {
    s.resize(offset(s, n, length));
  }
  /// Code points [from, length) cut off `s` (a copy of their bytes), which keeps the rest.
  static Storage split_off(Storage& s, std::uint64_t from, std::uint64_t length) {
    Storage out = slice(s, from, length, length);
    truncate(s, from, length);
    return out;
  }
};

}  // namespace detail

template <std::totally_ordered Id = std::uint64_t>
class Text : public detail::SequenceBase<Text<Id>, Id, detail::TextContent> {
  using Base = detail::SequenceBase<Text<Id>, Id, detail::TextContent>;
  friend Base;

 public:
  static constexpr const char* type_name = "Text";

  /// Inserts the UTF-8 `text` before the code point at `pos`, by `replica`; returns the delta.
  Text insert(const Id& replica, std::size_t pos, std::string_view text) {
    const auto n = detail::utf8_length(text);
    if (!n) throw std::invalid_argument("calm: Text::insert takes valid UTF-8");
    return this->insert_run(replica, pos, std::string(text), *n);
  }

  /// The document as UTF-8.
  std::string str() const {
    std::string out;
    this->for_each_visible_piece([&](const auto& p) { out += p.content; });
    return out;
  }
  std::string reveal() const { return str(); }

 private:
  static void show_content(std::ostream& os, const std::string& s) { os << '"' << s << '"'; }
  template <class Archive, class Piece>
  static void save_values(Archive& ar, std::span<const Piece* const> pieces) {
    std::string all;
    for (const Piece* p : pieces) all += p->content;
    detail::save_value(ar, all);
  }
  template <class Archive, class Piece>
  static void load_values(Archive& ar, const std::vector<Piece*>& pieces) {
    std::string all;
    detail::load_value(ar, all);
    std::string_view rest = all;
    for (Piece* p : pieces) {
      // Cut the piece's code points off the front; every piece must get exactly its own.
      std::size_t bytes = 0;
      std::uint64_t k = 0;
      for (; k < p->length && bytes < rest.size(); ++k)
        bytes = detail::TextContent::next(rest, bytes);
      detail::decode_require(k == p->length, "calm: a Text's values are shorter than its pieces");
      const std::string_view mine = rest.substr(0, bytes);
      detail::decode_require(detail::utf8_length(mine) == p->length,
                             "calm: a Text's values are not valid UTF-8");
      p->content.assign(mine);
      rest.remove_prefix(bytes);
    }
    detail::decode_require(rest.empty(), "calm: a Text has more values than pieces");
  }
};

}  // namespace calm::lattices
