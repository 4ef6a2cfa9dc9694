// Strings and counters: GET SET MGET MSET STRLEN APPEND GETRANGE SETRANGE LCS INCR DECR INCRBY
// DECRBY. SET with NX, XX or GET needs coordination (a linearizable keyspace's); the others,
// and SET's expiry options, do not.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "kvs/commands/handlers.hpp"

namespace calm::apps::kvs::handlers {

void get(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (!v) return c.out.null_bulk();
  if (const std::string* s = plain_string_value(*v)) return c.out.bulk(*s);
  if (type_of(*v) != Type::string) return c.error(wrong_type);
  c.bulk_or_null(string_value(*v));
}
void set(Ctx& c) {
  bool nx = false, xx = false, get = false, keep_ttl = false;
  std::optional<std::uint64_t> expire;
  std::string coordinated;  // the first option that needs coordination (NX, XX, GET)
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string option = upper(c.args[i]);
    if (coordinated.empty() && option != "EX" && option != "PX" && option != "EXAT" &&
        option != "PXAT" && option != "KEEPTTL" && option != "NX" && option != "XX" &&
        option != "GET") {
      return c.syntax_error();
    }
    if (coordinated.empty() && (option == "NX" || option == "XX" || option == "GET")) {
      coordinated = option;
    }
    if (option == "NX" && !xx) {
      nx = true;
    } else if (option == "XX" && !nx) {
      xx = true;
    } else if (option == "GET") {
      get = true;
    } else if (option == "KEEPTTL" && !expire) {
      keep_ttl = true;
    } else if ((option == "EX" || option == "PX" || option == "EXAT" || option == "PXAT") &&
               !expire && !keep_ttl && i + 1 < c.args.size()) {
      const auto n = parse_int64(c.args[++i]);
      if (!n) return c.error(not_an_integer);
      if (!coordinated.empty() && !c.linearizable()) break;  // refused below
      const std::uint64_t unit = option == "EX" || option == "EXAT" ? 1000 : 1;
      expire = expiry_at(c, *n, unit, option.size() == 4, "set");
      if (!expire) return;
    } else {
      return c.syntax_error();
    }
  }
  if (!coordinated.empty() && !c.linearizable()) return needs_coordination(c, "SET " + coordinated);
  if (!c.fits(c.args[2].size())) return;
  const std::string& key = c.args[1];
  std::optional<std::string> old;
  const KeyValue* v = c.find(key);
  if (get && v) {
    if (type_of(*v) != Type::string) return c.error(wrong_type);
    old = string_value(*v);
  }
  const auto reply = [&] {
    if (get) return c.bulk_or_null(old);
    c.out.simple("OK");
  };
  if ((nx && v) || (xx && !v)) {
    if (get) return c.bulk_or_null(old);
    return c.out.null_bulk();
  }
  c.keys().write(key,
                 [&](KeyValue& kv) { return set_string(kv, c.replica(), c.args[2], c.now()); });
  // SET clears a TTL (on a coordination-free key: writes 0 over the deadline it saw, if any).
  if (!keep_ttl) c.keys().set_expiry(key, expire);
  reply();
}
void mget(Ctx& c) {
  c.out.array_header(c.args.size() - 1);
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    const KeyValue* v = c.find(c.args[i]);
    c.bulk_or_null(v ? string_value(*v) : std::nullopt);  // not a string: nil, as in Redis
    if (!c.reply_fits()) return;
  }
}
void mset(Ctx& c) {
  if (c.args.size() % 2 == 0) return c.arity_error();
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    if (!c.fits(c.args[i].size())) return;
  }
  for (std::size_t i = 1; i < c.args.size(); i += 2) {
    c.keys().write(c.args[i],
                   [&](KeyValue& v) { return set_string(v, c.replica(), c.args[i + 1], c.now()); });
    c.keys().set_expiry(c.args[i], std::nullopt);  // as SET: no TTL
  }
  c.out.simple("OK");
}
void strlen_(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  const auto s = v ? string_value(*v) : std::nullopt;
  c.out.integer(s ? static_cast<std::int64_t>(s->size()) : 0);
}
void append(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  std::string value = v ? string_value(*v).value_or("") : "";
  value += c.args[2];
  if (!c.fits(value.size())) return;
  const auto length = static_cast<std::int64_t>(value.size());
  c.keys().write(c.args[1], [&](KeyValue& kv) {
    return set_string(kv, c.replica(), std::move(value), c.now());
  });
  c.out.integer(length);
}
void getrange(Ctx& c) {
  const auto start = parse_int64(c.args[2]), end = parse_int64(c.args[3]);
  if (!start || !end) return c.error(not_an_integer);
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  const std::string s = v ? string_value(*v).value_or("") : "";
  const auto n = static_cast<std::int64_t>(s.size());
  std::int64_t from = *start < 0 ? std::max<std::int64_t>(n + *start, 0) : *start;
  // Redis 7.0's rule: a negative end past the front means the first byte, not nothing.
  std::int64_t to = *end < 0 ? std::max<std::int64_t>(n + *end, 0) : std::min(*end, n - 1);
  if (*start < 0 && *end < 0 && *start > *end) return c.out.bulk("");
  if (n == 0 || from > to || from >= n) return c.out.bulk("");
  c.out.bulk(s.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from + 1)));
}

void setrange(Ctx& c) {
  const auto offset = c.integer(c.args[2]);
  if (!offset) return;
  if (*offset < 0) return c.out.error("ERR offset is out of range");
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  const std::string& patch = c.args[3];
  std::string value = v ? string_value(*v).value_or("") : "";
  // Redis's order: nothing to write answers the length, whatever the offset.
  if (patch.empty()) return c.out.integer(static_cast<std::int64_t>(value.size()));
  // Checked before anything is allocated: Redis's bound, then the write's.
  const std::uint64_t end = static_cast<std::uint64_t>(*offset) + patch.size();
  if (end > redis_bulk_bytes_max) {
    return c.out.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  if (!c.fits(std::max<std::uint64_t>(end, value.size()))) return;
  const auto at = static_cast<std::size_t>(*offset);
  const bool same = v && end <= value.size() && value.compare(at, patch.size(), patch) == 0;
  if (end > value.size()) value.resize(static_cast<std::size_t>(end), '\0');
  const auto length = static_cast<std::int64_t>(value.size());
  // A range overwritten with what it holds changes nothing: no write, which would otherwise
  // win over a concurrent write elsewhere.
  if (!same) {
    value.replace(at, patch.size(), patch);
    c.keys().write(c.args[1], [&](KeyValue& kv) {
      return set_string(kv, c.replica(), std::move(value), c.now());
    });
  }
  c.out.integer(length);
}

namespace {

/// LCS's table, (len1 + 1) * (len2 + 1) cells of 4 bytes, is bounded: 16 Mi cells (64 MiB,
/// the largest bulk a request carries) and about as many steps; Redis's own bound is
/// proto-max-bulk-len (512 MB) of table. Past it LCS is refused before the table is made.
constexpr std::uint64_t lcs_cells_max = std::uint64_t{1} << 24;

/// Redis's LCS walk back through the table from its last cell: the common string (when
/// `text`), and each run of matches as (start in a, end in a, start in b, end in b), last
/// first, given to `range` when at least `min_length` long.
template <class Range>
void lcs_walk(const std::string& a, const std::string& b, const std::vector<std::uint32_t>& table,
              std::string* text, std::int64_t min_length, Range range) {
  const std::size_t alen = a.size(), blen = b.size();
  const auto cell = [&](std::size_t i, std::size_t j) { return table[j + i * (blen + 1)]; };
  std::size_t idx = cell(alen, blen);
  std::size_t i = alen, j = blen;
  std::size_t a_start = alen, a_end = 0, b_start = 0, b_end = 0;  // a_start == alen: no run
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      if (text != nullptr) (*text)[idx - 1] = a[i - 1];
      if (a_start == alen) {
        a_start = a_end = i - 1;
        b_start = b_end = j - 1;
      } else if (a_start == i && b_start == j) {  // contiguous: the run grows backwards
        --a_start;
        --b_start;
      } else {
        emit = true;
      }
      if (a_start == 0 || b_start == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (cell(i - 1, j) > cell(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (a_start != alen) emit = true;
    }
    if (emit) {
      const std::size_t length = a_end - a_start + 1;
      if (min_length == 0 || length >= static_cast<std::uint64_t>(min_length)) {
        range(a_start, a_end, b_start, b_end, length);
      }
      a_start = alen;
    }
  }
}

}  // namespace

void lcs(Ctx& c) {
  const KeyValue* a_value = c.find(c.args[1]);
  const KeyValue* b_value = c.find(c.args[2]);
  if ((a_value && type_of(*a_value) != Type::string) ||
      (b_value && type_of(*b_value) != Type::string)) {
    return c.out.error("ERR The specified keys must contain string values");
  }
  const std::string a = a_value ? string_value(*a_value).value_or("") : "";
  const std::string b = b_value ? string_value(*b_value).value_or("") : "";
  bool want_idx = false, want_len = false, with_match_len = false;
  std::int64_t min_length = 0;
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string option = lower(c.args[i]);
    if (option == "idx") {
      want_idx = true;
    } else if (option == "len") {
      want_len = true;
    } else if (option == "withmatchlen") {
      with_match_len = true;
    } else if (option == "minmatchlen" && i + 1 < c.args.size()) {
      const auto n = c.integer(c.args[++i]);
      if (!n) return;
      min_length = std::max<std::int64_t>(*n, 0);
    } else {
      return c.syntax_error();
    }
  }
  if (want_idx && want_len) {
    return c.out.error("ERR If you want both the length and indexes, please just use IDX.");
  }
  const std::size_t alen = a.size(), blen = b.size();
  const std::uint64_t cells = (std::uint64_t{alen} + 1) * (std::uint64_t{blen} + 1);
  if (cells * sizeof(std::uint32_t) > redis_bulk_bytes_max) {
    return c.out.error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  if (cells > lcs_cells_max) {
    return c.out.error("ERR calm-kvs computes LCS with a table of at most " +
                       std::to_string(lcs_cells_max) +
                       " cells, (length1 + 1) * (length2 + 1): the strings are too long");
  }
  // table[j + i * (blen + 1)]: the length of the LCS of a[0, i) and b[0, j).
  std::vector<std::uint32_t> table(cells, 0);
  for (std::size_t i = 1; i <= alen; ++i) {
    for (std::size_t j = 1; j <= blen; ++j) {
      const std::size_t at = j + i * (blen + 1);
      table[at] = a[i - 1] == b[j - 1] ? table[at - (blen + 1) - 1] + 1
                                       : std::max(table[at - (blen + 1)], table[at - 1]);
    }
  }
  const std::uint32_t length = table[cells - 1];
  if (want_len) return c.out.integer(length);
  if (!want_idx) {
    std::string text(length, '\0');
    lcs_walk(a, b, table, &text, 0, [](auto...) {});
    return c.out.bulk(text);
  }
  // A map: "matches", the runs (counted by a first walk), "len", the length.
  std::size_t runs = 0;
  lcs_walk(a, b, table, nullptr, min_length, [&](auto...) { ++runs; });
  c.out.map_header(2);
  c.out.bulk("matches");
  c.out.array_header(runs);
  lcs_walk(a, b, table, nullptr, min_length,
           [&](std::size_t a_start, std::size_t a_end, std::size_t b_start, std::size_t b_end,
               std::size_t run) {
             c.out.array_header(with_match_len ? 3 : 2);
             for (const auto& [from, to] : {std::pair{a_start, a_end}, std::pair{b_start, b_end}}) {
               c.out.array_header(2);
               c.out.integer(static_cast<std::int64_t>(from));
               c.out.integer(static_cast<std::int64_t>(to));
             }
             if (with_match_len) c.out.integer(static_cast<std::int64_t>(run));
           });
  c.out.bulk("len");
  c.out.integer(length);
}

namespace {

void incr_by(Ctx& c, std::int64_t n) {
  if (n == 0 && c.find(c.args[1]) == nullptr) {
    // As Redis, INCRBY 0 makes a missing key "0"; a counter of nothing cannot, so it is a
    // write of the register (which a concurrent INCR elsewhere still adds to).
    c.keys().write(c.args[1],
                   [&](KeyValue& kv) { return set_string(kv, c.replica(), "0", c.now()); });
    return c.out.integer(0);
  }
  auto outcome =
      c.write<std::int64_t>(c.args[1], [&](KeyValue& v) { return increment(v, c.replica(), n); });
  if (outcome.error) return c.error(*outcome.error);
  c.out.integer(*outcome.value);
}

}  // namespace

void incr(Ctx& c) { incr_by(c, 1); }
void decr(Ctx& c) { incr_by(c, -1); }
void incrby(Ctx& c) {
  if (const auto n = c.integer(c.args[2])) incr_by(c, *n);
}
void decrby(Ctx& c) {
  const auto n = c.integer(c.args[2]);
  if (!n) return;
  if (*n == INT64_MIN) return c.out.error("ERR decrement would overflow");
  incr_by(c, -*n);
}

/// INCRBYFLOAT: Redis's sum, written as Redis writes it. A linearizable key's register takes
/// the text; on a coordination-free key this replica's decimal counter makes the key read as it
/// (increment_decimal), so that concurrent INCRBYFLOATs add up (docs/kvs.md).
void incrbyfloat(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  long double value = 0;
  if (v) {
    const auto current = parse_long_double(string_value(*v).value_or(""));
    if (!current) return c.out.error("ERR value is not a valid float");
    value = *current;
  }
  const auto by = parse_long_double(c.args[2]);
  if (!by) return c.out.error("ERR value is not a valid float");
  value += *by;
  if (std::isnan(value) || std::isinf(value)) {
    return c.out.error("ERR increment would produce NaN or Infinity");
  }
  const std::string text = human_long_double(value);
  if (!c.fits(text.size())) return;
  // The key's expiry stays either way, as Redis's INCRBYFLOAT keeps it.
  if (c.linearizable()) {
    c.keys().write(c.args[1],
                   [&](KeyValue& kv) { return set_string(kv, c.replica(), text, c.now()); });
    return c.out.bulk(text);
  }
  const auto counted = c.write<std::string>(
      c.args[1], [&](KeyValue& kv) { return increment_decimal(kv, c.replica(), text); });
  if (counted.error) return c.error(*counted.error);
  c.out.bulk(*counted.value);
}

}  // namespace calm::apps::kvs::handlers
