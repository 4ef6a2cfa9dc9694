#include "kvs/value.hpp"

#include <utility>

#include "kvs/resp.hpp"

namespace calm::apps::kvs {
namespace {

/// Whether some increment is not taken away yet.
bool counting(const KeyValue& v) { return !(v.counter.total == v.counter.removed); }
std::int64_t counted(const KeyValue& v) {
  return v.counter.total.value() - v.counter.removed.value();
}

bool holds_string(const KeyValue& v) {
  const auto written = v.str.value();
  return (written && written->has_value()) || counting(v);
}

/// The integer a string key reads as, if it reads as one: the register's integer (or 0 when
/// it holds nothing) plus the counter; nothing when the register holds a non-integer.
std::optional<std::int64_t> integer_value(const KeyValue& v) {
  std::int64_t base = 0;
  if (const auto written = v.str.value(); written && written->has_value()) {
    const auto parsed = parse_int64(**written);
    if (!parsed) return std::nullopt;
    base = *parsed;
  }
  std::int64_t sum = 0;
  if (__builtin_add_overflow(base, counted(v), &sum)) return std::nullopt;
  return sum;
}

/// Takes away what this replica saw of the key's other types, into `delta`.
void remove_counter(KeyValue& v, KeyValue& delta) {
  if (!counting(v)) return;
  v.counter.removed = v.counter.total;  // `removed` is below `total`: their join is `total`
  delta.counter.removed = v.counter.total;
}
void remove_set(KeyValue& v, KeyValue& delta) {
  if (!v.set.empty()) delta.set = v.set.clear();
}
void remove_hash(KeyValue& v, KeyValue& delta) {
  if (!v.hash.empty()) delta.hash = v.hash.clear();
}

}  // namespace

Type type_of(const KeyValue& v) {
  if (!v.hash.empty()) return Type::hash;
  if (!v.set.empty()) return Type::set;
  if (holds_string(v)) return Type::string;
  return Type::none;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::string:
      return "string";
    case Type::set:
      return "set";
    case Type::hash:
      return "hash";
    case Type::none:
      break;
  }
  return "none";
}

std::optional<std::string> string_value(const KeyValue& v) {
  if (type_of(v) != Type::string) return std::nullopt;
  if (!counting(v)) return *v.str.value().value();
  if (const auto n = integer_value(v)) return std::to_string(*n);
  return *v.str.value().value();  // a non-integer string hides the counter
}

KeyValue set_string(KeyValue& v, ReplicaId replica, std::string value, lat::HlcTimestamp now) {
  KeyValue delta;
  remove_counter(v, delta);
  remove_set(v, delta);
  remove_hash(v, delta);
  delta.str = v.str.write(replica, std::optional<std::string>(std::move(value)), now);
  return delta;
}

KeyValue remove_all(KeyValue& v, ReplicaId replica, lat::HlcTimestamp now) {
  KeyValue delta;
  remove_counter(v, delta);
  remove_set(v, delta);
  remove_hash(v, delta);
  if (const auto written = v.str.value(); written && written->has_value()) {
    delta.str = v.str.write(replica, std::optional<std::string>(), now);
  }
  return delta;
}

std::variant<std::pair<std::int64_t, KeyValue>, CommandError> increment(KeyValue& v,
                                                                        ReplicaId replica,
                                                                        std::int64_t n) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::string) return wrong_type;
  const auto current = integer_value(v);
  if (!current) return not_an_integer;
  std::int64_t next = 0;
  if (__builtin_add_overflow(*current, n, &next)) return overflow;
  KeyValue delta;
  // The magnitude of INT64_MIN does not fit an int64: count it in unsigned arithmetic.
  const std::uint64_t magnitude =
      n >= 0 ? static_cast<std::uint64_t>(n) : std::uint64_t{0} - static_cast<std::uint64_t>(n);
  if (magnitude != 0) {
    delta.counter.total = n >= 0 ? v.counter.total.increment(replica, magnitude)
                                 : v.counter.total.decrement(replica, magnitude);
  }
  return std::pair{next, std::move(delta)};
}

std::variant<std::pair<bool, KeyValue>, CommandError> set_add(KeyValue& v, ReplicaId replica,
                                                              const std::string& member) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::set) return wrong_type;
  const bool fresh = !v.set.contains(member);
  KeyValue delta;
  // Adding a member already there still re-tags it: a concurrent remove elsewhere must not
  // take away an add that this replica has just acknowledged.
  delta.set = v.set.add(replica, member);
  return std::pair{fresh, std::move(delta)};
}

std::variant<std::pair<bool, KeyValue>, CommandError> set_remove(KeyValue& v,
                                                                 const std::string& member) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::set) return wrong_type;
  if (!v.set.contains(member)) return std::pair{false, KeyValue{}};
  KeyValue delta;
  delta.set = v.set.remove(member);
  return std::pair{true, std::move(delta)};
}

std::variant<std::pair<bool, KeyValue>, CommandError> hash_set(KeyValue& v, ReplicaId replica,
                                                               const std::string& field,
                                                               std::string value) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::hash) return wrong_type;
  const bool fresh = !v.hash.contains(field);
  KeyValue delta;
  delta.hash = v.hash.update(replica, field, [&](lat::MVRegister<std::string, ReplicaId>& r) {
    return r.write(replica, std::move(value));
  });
  return std::pair{fresh, std::move(delta)};
}

std::variant<std::pair<bool, KeyValue>, CommandError> hash_remove(KeyValue& v,
                                                                  const std::string& field) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::hash) return wrong_type;
  if (!v.hash.contains(field)) return std::pair{false, KeyValue{}};
  KeyValue delta;
  delta.hash = v.hash.remove(field);
  return std::pair{true, std::move(delta)};
}

}  // namespace calm::apps::kvs
