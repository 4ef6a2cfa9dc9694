// Commands on keys of any type: DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY TTL PTTL EXPIRETIME
// PEXPIRETIME; glob_match, the patterns of KEYS, SCAN MATCH and CONFIG GET; and the cursors of
// SSCAN and HSCAN, in SCAN's order.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvs/commands/handlers.hpp"
#include "lattices/random.hpp"

namespace calm::apps::kvs {

bool glob_match(std::string_view p, std::string_view s) {
  // Iterative matching with backtracking to the last '*', as Redis's stringmatchlen does.
  std::size_t pi = 0, si = 0, star = std::string_view::npos, star_s = 0;
  auto class_match = [&](std::size_t& i, char c) {
    // p[i] == '['; on return i is past the closing ']'.
    ++i;
    bool negate = false;
    if (i < p.size() && p[i] == '^') {
      negate = true;
      ++i;
    }
    bool matched = false;
    while (i < p.size() && p[i] != ']') {
      if (p[i] == '\\' && i + 1 < p.size()) {
        matched |= p[i + 1] == c;
        i += 2;
      } else if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
        char lo = p[i], hi = p[i + 2];
        if (lo > hi) std::swap(lo, hi);
        matched |= c >= lo && c <= hi;
        i += 3;
      } else {
        matched |= p[i] == c;
        ++i;
      }
    }
    if (i < p.size()) ++i;  // the ']'
    return matched != negate;
  };
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size()) {
      std::size_t next = pi;
      bool ok = false;
      if (p[pi] == '?') {
        ok = true;
        next = pi + 1;
      } else if (p[pi] == '[') {
        ok = class_match(next, s[si]);
      } else if (p[pi] == '\\' && pi + 1 < p.size()) {
        ok = p[pi + 1] == s[si];
        next = pi + 2;
      } else {
        ok = p[pi] == s[si];
        next = pi + 1;
      }
      if (ok) {
        pi = next;
        ++si;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

namespace handlers {

void del(Ctx& c) {
  std::int64_t removed = 0;
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    if (!c.find(c.args[i])) continue;
    c.keys().write(c.args[i], [&](KeyValue& v) { return remove_all(v, c.replica(), c.now()); });
    ++removed;
  }
  c.out.integer(removed);
}
void exists(Ctx& c) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < c.args.size(); ++i) n += c.find(c.args[i]) != nullptr;
  c.out.integer(n);
}
void type(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  c.out.simple(type_name(v ? type_of(*v) : Type::none));
}
void keys(Ctx& c) {
  if (!c.pattern_fits(c.args[1])) return;
  std::vector<std::string> matched;
  c.keys().for_each([&](const std::string& k, const KeyValue& v) {
    if (type_of(v) != Type::none && glob_match(c.args[1], k)) matched.push_back(k);
  });
  std::sort(matched.begin(), matched.end());  // the keyspace is a hash index: no order of its own
  c.out.array_header(matched.size());
  for (const std::string& k : matched) c.out.bulk(k);
}

namespace {

/// SCAN's order: keys by a 63-bit hash of their bytes (FNV-1a, then SplitMix64's finalizer to
/// spread it). A key keeps its position whatever else is added or removed, so a scan sees every
/// key present throughout, as SCAN promises; and the keyspace needs no ordered index.
std::uint64_t scan_position(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char ch : key) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return (h ^ (h >> 31)) >> 1;  // a cursor is a non-negative int64
}

/// A call looks at at least 1/scan_passes_max of the keys, so a whole scan takes at most
/// scan_passes_max + n / COUNT calls, each one pass over the keyspace: COUNT is a hint in Redis
/// too ("may return more"), and without this a scan of n keys would cost n^2 / COUNT.
constexpr std::size_t scan_passes_max = 64;

}  // namespace

void scan(Ctx& c) {
  // The cursor is the scan position (scan_position) to go on from; 0 starts and ends a scan.
  const auto cursor = parse_int64(c.args[1]);
  if (!cursor || *cursor < 0) return c.out.error("ERR invalid cursor");
  std::string pattern = "*";
  std::int64_t count = 10;
  std::optional<std::string> type_filter;
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    if (i + 1 >= c.args.size()) return c.syntax_error();
    const std::string option = lower(c.args[i]);
    if (option == "match") {
      if (!c.pattern_fits(c.args[i + 1])) return;
      pattern = c.args[i + 1];
    } else if (option == "count") {
      const auto n = parse_int64(c.args[i + 1]);
      if (!n) return c.error(not_an_integer);
      if (*n < 1) return c.syntax_error();
      count = *n;
    } else if (option == "type") {
      type_filter = lower(c.args[i + 1]);
    } else {
      return c.syntax_error();
    }
  }
  const auto from = static_cast<std::uint64_t>(*cursor);
  // Pass 1: the positions of the keys to look at, the `take` smallest at or after the cursor
  // (a max-heap of at most `take`), and how many keys there are.
  std::size_t live = 0;
  c.keys().for_each(
      [&](const std::string&, const KeyValue& v) { live += type_of(v) != Type::none; });
  const std::size_t take = std::max<std::size_t>(
      static_cast<std::size_t>(std::min<std::int64_t>(count, static_cast<std::int64_t>(live) + 1)),
      live / scan_passes_max);
  std::vector<std::uint64_t> heap;
  heap.reserve(std::min(take, live));
  c.keys().for_each([&](const std::string& k, const KeyValue& v) {
    if (type_of(v) == Type::none) return;
    const std::uint64_t at = scan_position(k);
    if (at < from) return;
    if (heap.size() < take) {
      heap.push_back(at);
      std::push_heap(heap.begin(), heap.end());
    } else if (at < heap.front()) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = at;
      std::push_heap(heap.begin(), heap.end());
    }
  });
  // Pass 2: every key up to the last position taken (keys sharing it come together, so that a
  // cursor never falls between them), filtered; and whether any key lies beyond.
  const bool all_taken = heap.size() < take;
  const std::uint64_t last = heap.empty() ? from : heap.front();
  std::vector<std::string> batch;
  bool more = false;
  c.keys().for_each([&](const std::string& k, const KeyValue& v) {
    if (type_of(v) == Type::none) return;
    const std::uint64_t at = scan_position(k);
    if (at < from) return;
    if (!all_taken && at > last) {
      more = true;
      return;
    }
    if (!glob_match(pattern, k)) return;
    if (type_filter && *type_filter != type_name(type_of(v))) return;
    batch.push_back(k);
  });
  std::sort(batch.begin(), batch.end());
  c.out.array_header(2);
  c.out.bulk(more ? std::to_string(last + 1) : "0");
  c.out.array_header(batch.size());
  for (const std::string& k : batch) c.out.bulk(k);
}
void randomkey(Ctx& c) {
  // Two passes over this replica's coordination-free keys, as DBSIZE and SCAN: the keyspace is
  // a hash index, with no n-th key of its own.
  std::size_t live = 0;
  c.keys().for_each(
      [&](const std::string&, const KeyValue& v) { live += type_of(v) != Type::none; });
  if (live == 0) return c.out.null_bulk();
  static thread_local SplitMix64 rng(entropy_seed());
  std::size_t pick = rng.below(live);
  std::optional<std::string> picked;
  c.keys().for_each([&](const std::string& k, const KeyValue& v) {
    if (type_of(v) == Type::none || picked) return;
    if (pick-- == 0) picked = k;
  });
  c.bulk_or_null(picked);
}

std::optional<std::uint64_t> scan_cursor(Ctx& c, const std::string& text) {
  // strtoul's grammar, as Redis's parseScanCursorOrReply takes it: no leading space.
  std::size_t at = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) at = 1;
  std::uint64_t n = 0;
  bool overflow = false;
  const std::size_t digits_from = at;
  for (; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) != 0; ++at) {
    const auto digit = static_cast<std::uint64_t>(text[at] - '0');
    overflow = overflow || n > (UINT64_MAX - digit) / 10;
    n = n * 10 + digit;
  }
  // No digits: strtoul ends where it began, so only "" is a cursor (0).
  const bool whole = at == text.size() && (at > digits_from || text.empty());
  if (!whole || overflow) {
    c.out.error("ERR invalid cursor");
    return std::nullopt;
  }
  return negative ? 0 - n : n;  // strtoul negates modulo 2^64
}

void scan_items(Ctx& c, std::uint64_t cursor, const std::vector<std::string>& items,
                std::size_t per_item, const std::function<void(const std::string&)>& emit) {
  std::string_view pattern = "*";
  std::int64_t count = 10;
  for (std::size_t i = 3; i < c.args.size(); i += 2) {
    const std::string option = lower(c.args[i]);
    if (i + 1 >= c.args.size() || (option != "count" && option != "match")) {
      return c.syntax_error();  // TYPE too: Redis takes it for SCAN only
    }
    if (option == "match") {
      if (!c.pattern_fits(c.args[i + 1])) return;
      pattern = c.args[i + 1];
      continue;
    }
    const auto n = c.integer(c.args[i + 1]);
    if (!n) return;
    if (*n < 1) return c.syntax_error();
    count = *n;
  }
  // SCAN's way: the items from the cursor on, in the order of their positions; this call takes
  // the `take` first (at least 1/scan_passes_max of all, so a whole scan takes at most
  // scan_passes_max + n / COUNT calls), and every item sharing the last one's position.
  std::vector<std::pair<std::uint64_t, std::size_t>> ahead;  // (position, index)
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::uint64_t at = scan_position(items[i]);
    if (at >= cursor) ahead.emplace_back(at, i);
  }
  const std::size_t take =
      std::max<std::size_t>(static_cast<std::size_t>(std::min<std::int64_t>(
                                count, static_cast<std::int64_t>(items.size()) + 1)),
                            items.size() / scan_passes_max);
  std::uint64_t next = 0;  // 0: the scan ends here
  if (ahead.size() > take) {
    std::nth_element(ahead.begin(), ahead.begin() + static_cast<std::ptrdiff_t>(take - 1),
                     ahead.end());
    const std::uint64_t last = ahead[take - 1].first;
    std::erase_if(ahead, [&](const auto& item) { return item.first > last; });
    next = last + 1;  // positions are below 2^63: no overflow
  }
  std::vector<std::size_t> batch;
  for (const auto& [at, i] : ahead) {
    if (glob_match(pattern, items[i])) batch.push_back(i);
  }
  std::sort(batch.begin(), batch.end());  // in the items' (sorted) order, as SCAN lists keys
  c.out.array_header(2);
  c.out.bulk(std::to_string(next));
  c.out.array_header(batch.size() * per_item);
  for (const std::size_t i : batch) emit(items[i]);
}

/// TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 without the key, -1 without expiry (every
/// coordination-free key); else the time left, or the deadline as Unix time.
void ttl(Ctx& c) {
  if (!c.find(c.args[1])) return c.out.integer(-2);
  const auto at = c.keys().expiry_ms(c.args[1]);
  if (!at) return c.out.integer(-1);
  const std::string& name = c.args[0];
  const bool ms = name[0] == 'p' || name[0] == 'P';  // PTTL, PEXPIRETIME
  const bool absolute = name.size() >= 10;           // [P]EXPIRETIME
  const std::uint64_t now = c.now_ms();
  const std::uint64_t left = absolute ? *at : *at > now ? *at - now : 0;
  // Redis rounds to the nearest second.
  c.out.integer(static_cast<std::int64_t>(ms ? left : (left + 500) / 1000));
}

}  // namespace handlers
}  // namespace calm::apps::kvs
