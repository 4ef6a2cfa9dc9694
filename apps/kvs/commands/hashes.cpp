// Hashes: HSET HMSET HGET HMGET HDEL HEXISTS HGETALL HKEYS HVALS HLEN HSTRLEN HINCRBY HSCAN
// HRANDFIELD. HSETNX needs coordination (coordinated.cpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kvs/commands/handlers.hpp"
#include "lattices/random.hpp"

namespace calm::apps::kvs::handlers {
namespace {

/// HSET (`count_new`: replies with how many fields are new) and HMSET (replies OK).
void hset_fields(Ctx& c, bool count_new) {
  if (c.args.size() % 2 != 0) return c.arity_error();
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    if (!c.fits(c.args[i].size() + c.args[i + 1].size())) return;
  }
  // One write that applies every field and builds one delta: linear in the fields (a delta
  // per field joined into the command's would copy the growing delta each time).
  const std::span<const std::string> pairs(c.args.data() + 2, c.args.size() - 2);
  const auto added = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& kv) { return hash_set_fields(kv, c.replica(), pairs); });
  if (added.error) return c.error(*added.error);
  if (count_new) return c.out.integer(*added.value);
  c.out.simple("OK");
}
/// A field's value: the greatest of its concurrent writes (there is one after quiet), plus its
/// counter.
std::optional<std::string> field_of(const KeyValue* v, const std::string& field) {
  if (!v) return std::nullopt;
  return hash_field(*v, field);
}
std::vector<std::string> fields_of(const KeyValue* v) {
  return v ? hash_fields(*v) : std::vector<std::string>{};
}

}  // namespace

void hset(Ctx& c) { hset_fields(c, true); }
void hmset(Ctx& c) { hset_fields(c, false); }
void hget(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  c.bulk_or_null(field_of(v, c.args[2]));
}
void hmget(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  c.out.array_header(c.args.size() - 2);
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    c.bulk_or_null(field_of(v, c.args[i]));
    if (!c.reply_fits()) return;
  }
}
void hdel(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  if (!v) return c.out.integer(0);
  const std::span<const std::string> fields(c.args.data() + 2, c.args.size() - 2);
  const auto removed = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& kv) { return hash_remove_fields(kv, fields); });
  if (removed.error) return c.error(*removed.error);
  c.out.integer(*removed.value);
}
void hexists(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  c.out.integer(v && hash_contains(*v, c.args[2]) ? 1 : 0);
}
void hgetall(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  const std::vector<std::string> fields = fields_of(v);
  c.out.map_header(fields.size());
  for (const std::string& f : fields) {
    c.out.bulk(f);
    c.bulk_or_null(field_of(v, f));
  }
}
void hkeys(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  const std::vector<std::string> fields = fields_of(v);
  c.out.array_header(fields.size());
  for (const std::string& f : fields) c.out.bulk(f);
}
void hvals(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  const std::vector<std::string> fields = fields_of(v);
  c.out.array_header(fields.size());
  for (const std::string& f : fields) c.bulk_or_null(field_of(v, f));
}
void hlen(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  c.out.integer(static_cast<std::int64_t>(fields_of(v).size()));
}
void hstrlen(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  const auto value = field_of(v, c.args[2]);
  c.out.integer(value ? static_cast<std::int64_t>(value->size()) : 0);
}

void hincrby(Ctx& c) {
  const auto n = c.integer(c.args[3]);
  if (!n) return;
  if (!c.fits(c.args[2].size())) return;
  if (*n == 0) {
    const KeyValue* v = nullptr;
    if (!c.of_type(c.args[1], Type::hash, v)) return;  // WRONGTYPE, replied
    if (!v || !hash_contains(*v, c.args[2])) {
      // As Redis, HINCRBY 0 makes a missing field "0": a write of the field's register.
      const std::array<std::string, 2> pair{c.args[2], "0"};
      const auto added = c.write<std::int64_t>(
          c.args[1], [&](KeyValue& kv) { return hash_set_fields(kv, c.replica(), pair); });
      if (added.error) return c.error(*added.error);
      return c.out.integer(0);
    }
  }
  auto outcome = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& kv) { return hash_increment(kv, c.replica(), c.args[2], *n); });
  if (outcome.error) return c.error(*outcome.error);
  c.out.integer(*outcome.value);
}

void hscan(Ctx& c) {
  const auto cursor = scan_cursor(c, c.args[2]);
  if (!cursor) return;
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  if (!v) {  // before any option is read, as Redis
    c.out.array_header(2);
    c.out.bulk("0");
    return c.out.array_header(0);
  }
  scan_items(c, *cursor, fields_of(v), 2, [&](const std::string& f) {
    c.out.bulk(f);
    c.bulk_or_null(field_of(v, f));
  });
}

/// HINCRBYFLOAT: as INCRBYFLOAT, on a hash field.
void hincrbyfloat(Ctx& c) {
  const auto by = parse_long_double(c.args[3]);
  if (!by) return c.out.error("ERR value is not a valid float");
  if (std::isnan(*by) || std::isinf(*by)) return c.out.error("ERR value is NaN or Infinity");
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  long double value = 0;
  if (v) {
    if (const auto field = hash_field(*v, c.args[2])) {
      const auto current = parse_long_double(*field);
      if (!current) return c.out.error("ERR hash value is not a float");
      value = *current;
    }
  }
  value += *by;
  if (std::isnan(value) || std::isinf(value)) {
    return c.out.error("ERR increment would produce NaN or Infinity");
  }
  const std::string text = human_long_double(value);
  if (!c.fits(c.args[2].size() + text.size())) return;
  if (c.linearizable()) {
    const std::array<std::string, 2> pair{c.args[2], text};
    const auto written = c.write<std::int64_t>(
        c.args[1], [&](KeyValue& kv) { return hash_set_fields(kv, c.replica(), pair); });
    if (written.error) return c.error(*written.error);
    return c.out.bulk(text);
  }
  const auto counted = c.write<std::string>(c.args[1], [&](KeyValue& kv) {
    return hash_increment_decimal(kv, c.replica(), c.args[2], text);
  });
  if (counted.error) return c.error(*counted.error);
  c.out.bulk(*counted.value);
}

void hrandfield(Ctx& c) {
  random_command(
      c, Type::hash, "withvalues", [](const KeyValue& v) { return hash_fields(v); },
      [](const KeyValue& v, const std::string& f) { return hash_field(v, f).value_or(""); });
}

void random_command(Ctx& c, Type type, std::string_view option, const ItemsOf& items_of,
                    const ValueOf& value_of, bool scores) {
  static thread_local SplitMix64 rng(entropy_seed());
  if (c.args.size() == 2) {
    const KeyValue* v = nullptr;
    if (!c.of_type(c.args[1], type, v)) return;
    const std::vector<std::string> items = v ? items_of(*v) : std::vector<std::string>{};
    if (items.empty()) return c.out.null_bulk();
    return c.out.bulk(items[rng.below(items.size())]);
  }
  // Redis's order: the count, the words after it, the option's range, then the key.
  const auto count = c.signed_count(c.args[2]);
  if (!count) return;
  if (c.args.size() > 4 || (c.args.size() == 4 && lower(c.args[3]) != option)) {
    return c.syntax_error();
  }
  const bool with_values = c.args.size() == 4;
  if (with_values && (*count < -INT64_MAX / 2 || *count > INT64_MAX / 2)) {
    return c.out.error("ERR value is out of range");  // twice the count must be an int64
  }
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], type, v)) return;
  const std::vector<std::string> items = v ? items_of(*v) : std::vector<std::string>{};
  if (items.empty() || *count == 0) return c.out.array_header(0);
  const std::size_t per_item = with_values ? 2 : 1;
  const auto reply = [&](const std::string& item) {
    if (with_values) c.out.pair();
    c.out.bulk(item);
    if (!with_values) return;
    if (scores) return c.out.double_text(value_of(*v, item));
    c.out.bulk(value_of(*v, item));
  };
  const auto header = [&](std::size_t n) {
    return with_values ? c.out.pairs_header(n) : c.out.array_header(n);
  };
  if (*count < 0) {  // may repeat, exactly |count| items
    const auto n = static_cast<std::uint64_t>(-*count);
    // The reply's size is the count's alone: refuse one past the bound before building it.
    std::uint64_t longest = 0;
    for (const std::string& item : items) {
      const std::uint64_t value = with_values ? value_of(*v, item).size() : 0;
      longest = std::max(longest, item.size() + value + per_item * reply_bulk_overhead_bytes);
    }
    if (n > reply_bytes_max / longest) {
      return c.out.error("ERR calm-kvs replies with at most " + std::to_string(reply_bytes_max) +
                         " bytes: the count is too large");
    }
    header(n);
    for (std::uint64_t i = 0; i < n; ++i) reply(items[rng.below(items.size())]);
    return;
  }
  std::vector<std::string> picked = items;
  if (static_cast<std::uint64_t>(*count) < picked.size()) {
    ::calm::shuffle(picked.begin(), picked.end(), rng);
    picked.resize(static_cast<std::size_t>(*count));
  }
  header(picked.size());
  for (const std::string& item : picked) reply(item);
}

}  // namespace calm::apps::kvs::handlers
