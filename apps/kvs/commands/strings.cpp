// Strings and counters: GET SET MGET MSET STRLEN APPEND GETRANGE INCR DECR INCRBY DECRBY. SET
// with an option needs coordination (a linearizable keyspace's); the others do not.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

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
  std::string coordinated;  // the first option that needs coordination
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string option = upper(c.args[i]);
    if (coordinated.empty() && option != "EX" && option != "PX" && option != "EXAT" &&
        option != "PXAT" && option != "KEEPTTL" && option != "NX" && option != "XX" &&
        option != "GET") {
      return c.syntax_error();
    }
    if (coordinated.empty()) coordinated = option;
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
      if (!c.linearizable()) break;  // refused below, before anything is read
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
  if (c.linearizable() && !keep_ttl) c.keys().set_expiry(key, expire);  // SET clears a TTL
  reply();
}
void mget(Ctx& c) {
  c.out.array_header(c.args.size() - 1);
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    const KeyValue* v = c.find(c.args[i]);
    c.bulk_or_null(v ? string_value(*v) : std::nullopt);  // not a string: nil, as in Redis
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
    if (c.linearizable()) c.keys().set_expiry(c.args[i], std::nullopt);  // as SET: no TTL
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

}  // namespace calm::apps::kvs::handlers
