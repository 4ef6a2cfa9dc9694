// The commands that need coordination (their result depends on every replica agreeing on the
// current value): SETNX MSETNX GETSET GETDEL SPOP SMOVE RENAME RENAMENX COPY HSETNX
// INCRBYFLOAT HINCRBYFLOAT, and EXPIRE PEXPIRE EXPIREAT PEXPIREAT with NX, XX, GT or LT. A
// linearizable keyspace (the Paxos log's) runs them; a coordination-free one refuses them. Also
// the expiry commands that are writes (SETEX PSETEX GETEX PERSIST, EXPIRE and friends without
// an option), which both run: on a coordination-free key they write KeyValue::expiry.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "kvs/commands/handlers.hpp"

namespace calm::apps::kvs::handlers {

void needs_coordination(Ctx& c, const std::string& what) {
  c.out.error("ERR " + what +
              " needs coordination (its result depends on every replica agreeing on the "
              "current value): only keys calm-kvs runs through its Paxos log take it "
              "(calm-kvs --linearizable PATTERN)");
}
void needs_coordination(Ctx& c) { needs_coordination(c, upper(c.args[0])); }

std::optional<std::uint64_t> expiry_at(Ctx& c, std::int64_t n, std::uint64_t unit_ms, bool absolute,
                                       const char* command) {
  const std::uint64_t base = absolute ? 0 : c.now_ms();
  if (n <= 0 || base > UINT64_MAX / 2 ||
      static_cast<std::uint64_t>(n) > (UINT64_MAX / 2 - base) / unit_ms) {
    c.out.error(std::string("ERR invalid expire time in '") + command + "' command");
    return std::nullopt;
  }
  return base + static_cast<std::uint64_t>(n) * unit_ms;
}

namespace {

/// SETEX and PSETEX: SET key value EX (PX) n.
void set_expiring(Ctx& c, std::uint64_t unit_ms) {
  const auto n = c.integer(c.args[2]);
  if (!n) return;
  const auto at = expiry_at(c, *n, unit_ms, false, lower(c.args[0]).c_str());
  if (!at) return;
  if (!c.fits(c.args[3].size())) return;
  c.keys().write(c.args[1],
                 [&](KeyValue& kv) { return set_string(kv, c.replica(), c.args[3], c.now()); });
  c.keys().set_expiry(c.args[1], *at);
  c.out.simple("OK");
}

}  // namespace

void setex(Ctx& c) { set_expiring(c, 1000); }
void psetex(Ctx& c) { set_expiring(c, 1); }

/// GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: GET, then the expiry changes. With
/// an option it is coordinated (describe); without, it is a GET.
void getex(Ctx& c) {
  std::optional<std::size_t> at_arg;  // where the expiry's number is
  std::uint64_t unit_ms = 1000;
  bool absolute = false, persist_flag = false;
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    const std::string option = c.args[i].size() <= 8 ? upper(c.args[i]) : std::string();
    const bool timed = option == "EX" || option == "PX" || option == "EXAT" || option == "PXAT";
    if (timed && !at_arg && !persist_flag && i + 1 < c.args.size()) {
      at_arg = ++i;
      unit_ms = option.front() == 'E' ? 1000 : 1;
      absolute = option.size() == 4;
    } else if (option == "PERSIST" && !at_arg) {  // twice is once, as in Redis
      persist_flag = true;
    } else {
      return c.syntax_error();
    }
  }
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  if (!v) return c.out.null_bulk();
  std::optional<std::uint64_t> at;
  if (at_arg) {
    const auto n = c.integer(c.args[*at_arg]);
    if (!n) return;
    at = expiry_at(c, *n, unit_ms, absolute, "getex");
    if (!at) return;
  }
  c.bulk_or_null(string_value(*v));
  if (at && *at <= c.now_ms()) {  // EXAT / PXAT in the past: the key goes, as in Redis
    c.keys().write(c.args[1], [&](KeyValue& kv) { return remove_all(kv, c.replica(), c.now()); });
  } else if (at) {
    c.keys().set_expiry(c.args[1], at);
  } else if (persist_flag) {
    c.keys().set_expiry(c.args[1], std::nullopt);
  }
}

void setnx(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (!c.fits(c.args[2].size())) return;
  if (c.find(c.args[1])) return c.out.integer(0);
  c.keys().write(c.args[1],
                 [&](KeyValue& kv) { return set_string(kv, c.replica(), c.args[2], c.now()); });
  c.keys().set_expiry(c.args[1], std::nullopt);
  c.out.integer(1);
}
void msetnx(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (c.args.size() % 2 == 0) return c.arity_error();
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    if (!c.fits(c.args[i].size())) return;
  }
  // All or nothing: one key present (of any type) and none is written.
  for (std::size_t i = 1; i < c.args.size(); i += 2) {
    if (c.find(c.args[i])) return c.out.integer(0);
  }
  for (std::size_t i = 1; i < c.args.size(); i += 2) {
    c.keys().write(c.args[i], [&](KeyValue& kv) {
      return set_string(kv, c.replica(), c.args[i + 1], c.now());
    });
    c.keys().set_expiry(c.args[i], std::nullopt);  // as SET: no TTL
  }
  c.out.integer(1);
}
void getset(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (!c.fits(c.args[2].size())) return;
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  const std::optional<std::string> old = v ? string_value(*v) : std::nullopt;
  c.keys().write(c.args[1],
                 [&](KeyValue& kv) { return set_string(kv, c.replica(), c.args[2], c.now()); });
  c.keys().set_expiry(c.args[1], std::nullopt);
  c.bulk_or_null(old);
}
void getdel(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  if (!v) return c.out.null_bulk();
  const std::optional<std::string> old = string_value(*v);
  c.keys().write(c.args[1], [&](KeyValue& kv) { return remove_all(kv, c.replica(), c.now()); });
  c.bulk_or_null(old);
}

namespace {

/// SPOP's choice: on a linearizable key the same on every replica (seeded by the key and the
/// log's clock, which every replica applies alike), as a state machine's must be.
std::uint64_t deterministic_seed(Ctx& c, const std::string& key) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char ch : key) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ull;
  const lattices::HlcTimestamp t = c.self.clock();
  return h ^ (t.wall_ms * 0x9e3779b97f4a7c15ull) ^ t.logical;
}

}  // namespace

/// SPOP: on a linearizable key exactly once; on a coordination-free key the members this
/// replica sees, at least once (two replicas may pop the same member concurrently), as LPOP.
void spop(Ctx& c) {
  if (c.args.size() > 3) return c.syntax_error();
  std::optional<std::int64_t> count;
  if (c.args.size() == 3) {
    count = parse_int64(c.args[2]);
    if (!count || *count < 0) return c.out.error("ERR value is out of range, must be positive");
  }
  auto members = c.members(c.args[1]);
  if (!members) return;
  if (members->empty()) return count ? c.out.set_header(0) : c.out.null_bulk();
  if (count && *count == 0) return c.out.set_header(0);  // changes nothing
  // Not SplitMix64 (lattices/random.hpp), which the rest of calm draws from: which members
  // SPOP takes is part of the replicated log's meaning, and a replica replaying its log after
  // an upgrade must take what the others took. Changing it needs a versioned log entry.
  std::mt19937_64 rng(deterministic_seed(c, c.args[1]));
  std::shuffle(members->begin(), members->end(), rng);
  const std::size_t n =
      count ? std::min<std::size_t>(members->size(), static_cast<std::size_t>(*count)) : 1;
  members->resize(n);
  c.keys().write(c.args[1], [&](KeyValue& kv) {
    KeyValue delta;
    for (const std::string& m : *members) {
      auto removed = set_remove(kv, m);
      if (auto* d = std::get_if<0>(&removed)) lattices::merge(delta, std::move(d->second));
    }
    return delta;
  });
  if (!count) return c.out.bulk(members->front());
  c.out.set_header(n);
  for (const std::string& m : *members) c.out.bulk(m);
}
void smove(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  const std::string &from = c.args[1], &to = c.args[2], &member = c.args[3];
  const KeyValue* source = c.find(from);
  const KeyValue* destination = c.find(to);
  if (!source) return c.out.integer(0);  // before the types, as Redis
  if (type_of(*source) != Type::set || (destination && type_of(*destination) != Type::set)) {
    return c.error(wrong_type);
  }
  if (!c.fits(member.size())) return;
  if (!source->set->contains(member)) return c.out.integer(0);
  if (from == to) return c.out.integer(1);
  const KeyValue* stored = c.keys().find(to);
  if (!c.has_dots(stored ? &stored->set->context() : nullptr, 1)) return;
  c.write_each(from, 3, 1, [&](KeyValue& kv, std::size_t i) { return set_remove(kv, c.args[i]); });
  c.write_each(to, 3, 1,
               [&](KeyValue& kv, std::size_t i) { return set_add(kv, c.replica(), c.args[i]); });
  c.out.integer(1);
}

namespace {

/// RENAME and RENAMENX: the value and its expiry move; false after a reply when they cannot.
bool rename_key(Ctx& c, bool only_if_free) {
  const std::string &from = c.args[1], &to = c.args[2];
  const KeyValue* v = c.find(from);
  if (!v) {
    c.out.error("ERR no such key");
    return false;
  }
  if (only_if_free && c.find(to)) {
    c.out.integer(0);
    return false;
  }
  if (from == to) return true;
  KeyValue moved = *v;
  const auto expiry = c.keys().expiry_ms(from);
  // A linearizable keyspace applies commands one at a time and replicates none of these
  // deltas: the values are replaced whole.
  c.keys().write(to, [&](KeyValue& kv) {
    kv = std::move(moved);
    return KeyValue{};
  });
  c.keys().set_expiry(to, expiry);
  c.keys().write(from, [](KeyValue& kv) {
    kv = KeyValue{};
    return KeyValue{};
  });
  return true;
}

}  // namespace

void rename(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (rename_key(c, false)) c.out.simple("OK");
}
void renamenx(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (rename_key(c, true)) c.out.integer(1);
}

namespace {

/// The value COPY writes: what `v` reads as (its type's elements, counters read as their
/// values), written afresh by this replica now, so it shares no write (timestamp, dot) with
/// the source. Bottom when a write of it fails (only out_of_dots can, from bottom never).
KeyValue copy_of(Ctx& c, const KeyValue& v) {
  KeyValue fresh;
  switch (type_of(v)) {
    case Type::string:
      set_string(fresh, c.replica(), string_value(v).value_or(""), c.now());
      break;
    case Type::set:
      for (const std::string& m : v.set->elements()) set_add(fresh, c.replica(), m);
      break;
    case Type::hash: {
      std::vector<std::string> pairs;
      for (const std::string& f : hash_fields(v)) {
        pairs.push_back(f);
        pairs.push_back(hash_field(v, f).value_or(""));
      }
      hash_set_fields(fresh, c.replica(), pairs);
      break;
    }
    case Type::list:
      list_insert(fresh, c.replica(), 0, list_range(v, 0, SIZE_MAX));
      break;
    case Type::zset: {
      std::vector<std::string> members;
      std::vector<double> scores;
      for (ScoredMember& e : zset_entries(v)) {
        members.push_back(std::move(e.member));
        scores.push_back(e.score);
      }
      zset_add(fresh, c.replica(), members, scores);
      break;
    }
    case Type::none:
      break;
  }
  return fresh;
}

}  // namespace

void copy(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  bool replace = false;
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string option = lower(c.args[i]);
    if (option == "replace") {
      replace = true;
    } else if (option == "db" && i + 1 < c.args.size()) {
      const auto db = c.integer(c.args[++i]);
      if (!db) return;
      if (*db < INT32_MIN || *db > INT32_MAX) {
        return c.out.error(
            "ERR value is out of range, value must between -2147483648 and 2147483647");
      }
      if (*db != 0) return c.out.error("ERR DB index is out of range");  // one database
    } else {
      return c.syntax_error();
    }
  }
  const std::string &from = c.args[1], &to = c.args[2];
  if (from == to) return c.out.error("ERR source and destination objects are the same");
  const KeyValue* v = c.find(from);
  if (!v) return c.out.integer(0);
  if (c.find(to) && !replace) return c.out.integer(0);
  KeyValue fresh = copy_of(c, *v);
  const auto expiry = c.keys().expiry_ms(from);
  // A linearizable keyspace replicates none of these deltas: the destination is replaced
  // whole, as RENAME does, and takes the source's TTL (or none).
  c.keys().write(to, [&](KeyValue& kv) {
    kv = std::move(fresh);
    return KeyValue{};
  });
  c.keys().set_expiry(to, expiry);
  c.out.integer(1);
}
void hsetnx(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::hash, v)) return;
  if (!c.fits(c.args[2].size() + c.args[3].size())) return;
  if (v && hash_contains(*v, c.args[2])) return c.out.integer(0);
  const std::span<const std::string> pair(c.args.data() + 2, 2);
  const auto added = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& kv) { return hash_set_fields(kv, c.replica(), pair); });
  if (added.error) return c.error(*added.error);
  c.out.integer(1);
}

namespace {

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with Redis 7's NX, XX, GT, LT.
void expire_generic(Ctx& c, std::uint64_t unit_ms, bool absolute) {
  // Redis's order: the options' errors, then the time's.
  bool nx = false, xx = false, gt = false, lt = false;
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string option = upper(c.args[i]);
    if (option == "NX") {
      nx = true;
    } else if (option == "XX") {
      xx = true;
    } else if (option == "GT") {
      gt = true;
    } else if (option == "LT") {
      lt = true;
    } else {
      return c.out.error("ERR Unsupported option " +
                         one_line(std::string(echoed(c.args[i], echo_bytes_max))));
    }
  }
  if (nx && (xx || gt || lt)) {
    return c.out.error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return c.out.error("ERR GT and LT options at the same time are not compatible");
  // Without an option the command is a write of the deadline (KeyValue::expiry), which a
  // coordination-free key takes; an option's condition reads the current one.
  if ((nx || xx || gt || lt) && !c.linearizable()) {
    return c.out.error("ERR " + upper(c.args[0]) +
                       " with NX, XX, GT or LT needs coordination (its result depends on every "
                       "replica agreeing on the key's current expiry): only keys calm-kvs runs "
                       "through its Paxos log take it (calm-kvs --linearizable PATTERN)");
  }
  const auto n = c.integer(c.args[2]);
  if (!n) return;
  const std::string name = lower(c.args[0]);
  // A time in the past (any n <= 0) deletes the key, as in Redis; only overflow is an error,
  // in seconds below as above.
  if (unit_ms == 1000 && *n < INT64_MIN / 1000) {
    return c.out.error("ERR invalid expire time in '" + name + "' command");
  }
  std::uint64_t at = 0;
  if (*n > 0) {
    const auto computed = expiry_at(c, *n, unit_ms, absolute, name.c_str());
    if (!computed) return;
    at = *computed;
  }
  if (!c.find(c.args[1])) return c.out.integer(0);
  const auto current = c.keys().expiry_ms(c.args[1]);
  if ((nx && current) || (xx && !current) || (gt && (!current || at <= *current)) ||
      (lt && current && at >= *current)) {
    return c.out.integer(0);
  }
  if (at <= c.now_ms()) {
    c.keys().write(c.args[1], [&](KeyValue& kv) { return remove_all(kv, c.replica(), c.now()); });
  } else {
    c.keys().set_expiry(c.args[1], at);
  }
  c.out.integer(1);
}

}  // namespace

void expire(Ctx& c) { expire_generic(c, 1000, false); }
void pexpire(Ctx& c) { expire_generic(c, 1, false); }
void expireat(Ctx& c) { expire_generic(c, 1000, true); }
void pexpireat(Ctx& c) { expire_generic(c, 1, true); }
void persist(Ctx& c) {
  if (!c.find(c.args[1]) || !c.keys().expiry_ms(c.args[1])) return c.out.integer(0);
  c.keys().set_expiry(c.args[1], std::nullopt);
  c.out.integer(1);
}

}  // namespace calm::apps::kvs::handlers
