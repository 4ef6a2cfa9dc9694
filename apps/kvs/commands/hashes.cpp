// Hashes: HSET HMSET HGET HMGET HDEL HEXISTS HGETALL HKEYS HVALS HLEN HSTRLEN HINCRBY. HSETNX
// needs coordination (coordinated.cpp).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kvs/commands/handlers.hpp"

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
  for (std::size_t i = 2; i < c.args.size(); ++i) c.bulk_or_null(field_of(v, c.args[i]));
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
  c.out.array_header(2 * fields.size());
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

}  // namespace calm::apps::kvs::handlers
