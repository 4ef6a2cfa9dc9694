// Sets: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SRANDMEMBER SINTER SINTERCARD SUNION SDIFF
// SSCAN and the STORE forms. SPOP and SMOVE need coordination (coordinated.cpp).
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kvs/commands/handlers.hpp"
#include "lattices/random.hpp"

namespace calm::apps::kvs::handlers {
namespace {

enum class SetOp { inter, uni, diff };
/// SINTER, SUNION, SDIFF over args[first..]; nothing after a WRONGTYPE reply.
std::optional<std::vector<std::string>> combine(Ctx& c, SetOp op, std::size_t first) {
  std::optional<std::set<std::string>> result;
  for (std::size_t i = first; i < c.args.size(); ++i) {
    auto members = c.members(c.args[i]);
    if (!members) return std::nullopt;
    std::set<std::string> these(members->begin(), members->end());
    if (!result) {
      result = std::move(these);
      continue;
    }
    std::set<std::string> next;
    if (op == SetOp::inter) {
      std::set_intersection(result->begin(), result->end(), these.begin(), these.end(),
                            std::inserter(next, next.end()));
    } else if (op == SetOp::uni) {
      std::set_union(result->begin(), result->end(), these.begin(), these.end(),
                     std::inserter(next, next.end()));
    } else {
      std::set_difference(result->begin(), result->end(), these.begin(), these.end(),
                          std::inserter(next, next.end()));
    }
    *result = std::move(next);
  }
  return std::vector<std::string>(result->begin(), result->end());
}
/// SINTER, SUNION, SDIFF.
void set_read(Ctx& c, SetOp op) {
  const auto members = combine(c, op, 1);
  if (!members) return;
  c.out.set_header(members->size());
  for (const std::string& m : *members) c.out.bulk(m);
}
/// SINTERSTORE, SUNIONSTORE, SDIFFSTORE: the set at args[1], computed from args[2..].
void set_store(Ctx& c, SetOp op) {
  const auto members = combine(c, op, 2);
  if (!members) return;
  const KeyValue* destination = c.keys().find(c.args[1]);
  if (!c.has_dots(destination ? &destination->set->context() : nullptr, members->size())) return;
  // The destination becomes exactly this set, whatever it held (as this replica saw it).
  // Adding cannot fail after remove_all while the clock is ahead of every string timestamp
  // merged here (the server observes each one); should it fail, nothing is written.
  const auto stored = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& v) -> std::variant<std::pair<std::int64_t, KeyValue>, CommandError> {
        KeyValue scratch = v;
        KeyValue delta = remove_all(scratch, c.replica(), c.now());
        for (const std::string& m : *members) {
          auto added = set_add(scratch, c.replica(), m);
          if (auto* e = std::get_if<CommandError>(&added)) return *e;
          lattices::merge(delta, std::get<0>(std::move(added)).second);
        }
        v = std::move(scratch);
        return std::pair{static_cast<std::int64_t>(members->size()), std::move(delta)};
      });
  if (stored.error) return c.error(*stored.error);
  // As Redis, the stored set replaces the destination whole, and with it any TTL.
  c.keys().set_expiry(c.args[1], std::nullopt);
  c.out.integer(*stored.value);
}

}  // namespace

void sadd(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::set, v)) return;
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    if (!c.fits(c.args[i].size())) return;
  }
  const KeyValue* unpublished = c.keys().unpublished(c.args[1]);
  // A pipeline re-adding members it has just added writes nothing: skip even the write.
  const bool noop = v && std::all_of(c.args.begin() + 2, c.args.end(), [&](const std::string& m) {
                      return set_add_is_noop(*v, m, unpublished);
                    });
  if (noop) return c.out.integer(0);
  // The stored value, even one that reads as no key: its context names the dots taken.
  const KeyValue* stored = c.keys().find(c.args[1]);
  if (!c.has_dots(stored ? &stored->set->context() : nullptr, c.args.size() - 2)) return;
  c.out.integer(c.write_each(c.args[1], 2, 1, [&](KeyValue& kv, std::size_t i) {
    return set_add(kv, c.replica(), c.args[i], unpublished);
  }));
}
void srem(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::set, v)) return;
  if (!v) return c.out.integer(0);
  c.out.integer(c.write_each(
      c.args[1], 2, 1, [&](KeyValue& kv, std::size_t i) { return set_remove(kv, c.args[i]); }));
}
void smembers(Ctx& c) {
  const auto members = c.members(c.args[1]);
  if (!members) return;
  c.out.set_header(members->size());
  for (const std::string& m : *members) c.out.bulk(m);
}
void sismember(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::set, v)) return;
  c.out.integer(v && v->set->contains(c.args[2]) ? 1 : 0);
}
void smismember(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::set, v)) return;
  c.out.array_header(c.args.size() - 2);
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    c.out.integer(v && v->set->contains(c.args[i]) ? 1 : 0);
  }
}
void scard(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::set, v)) return;
  c.out.integer(v ? static_cast<std::int64_t>(v->set->size()) : 0);
}
void srandmember(Ctx& c) {
  if (c.args.size() > 3) return c.syntax_error();
  const auto members = c.members(c.args[1]);
  if (!members) return;
  static thread_local SplitMix64 rng(entropy_seed());
  if (c.args.size() == 2) {
    if (members->empty()) return c.out.null_bulk();
    return c.out.bulk((*members)[rng.below(members->size())]);
  }
  const auto count = c.signed_count(c.args[2]);
  if (!count) return;
  if (members->empty() || *count == 0) return c.out.array_header(0);
  if (*count < 0) {  // may repeat, exactly |count| members
    const auto n = static_cast<std::uint64_t>(-*count);
    // The reply's size is the count's alone: refuse one past the bound before building it.
    std::size_t longest = 0;
    for (const std::string& m : *members) longest = std::max(longest, m.size());
    const std::uint64_t per_member = longest + reply_bulk_overhead_bytes;
    if (n > reply_bytes_max / per_member) {
      return c.out.error("ERR calm-kvs replies with at most " + std::to_string(reply_bytes_max) +
                         " bytes: the count is too large");
    }
    c.out.array_header(n);
    for (std::uint64_t i = 0; i < n; ++i) c.out.bulk((*members)[rng.below(members->size())]);
    return;
  }
  std::vector<std::string> picked = *members;
  ::calm::shuffle(picked.begin(), picked.end(), rng);
  picked.resize(std::min<std::size_t>(picked.size(), static_cast<std::size_t>(*count)));
  c.out.array_header(picked.size());
  for (const std::string& m : picked) c.out.bulk(m);
}

void sintercard(Ctx& c) {
  const auto numkeys = parse_int64(c.args[1]);
  if (!numkeys || *numkeys < 1) return c.out.error("ERR numkeys should be greater than 0");
  if (static_cast<std::uint64_t>(*numkeys) > c.args.size() - 2) {
    return c.out.error("ERR Number of keys can't be greater than number of args");
  }
  const std::size_t end = 2 + static_cast<std::size_t>(*numkeys);
  std::uint64_t limit = 0;  // 0: none
  for (std::size_t i = end; i < c.args.size(); ++i) {
    if (lower(c.args[i]) != "limit" || i + 1 >= c.args.size()) return c.syntax_error();
    const auto n = parse_int64(c.args[++i]);
    if (!n || *n < 0) return c.out.error("ERR LIMIT can't be negative");
    limit = static_cast<std::uint64_t>(*n);
  }
  // Every key's type first, as Redis: an absent key is an empty set, and makes the answer 0.
  std::vector<const KeyValue*> sets;
  bool empty = false;
  for (std::size_t i = 2; i < end; ++i) {
    const KeyValue* v = nullptr;
    if (!c.of_type(c.args[i], Type::set, v)) return;
    empty = empty || v == nullptr;
    sets.push_back(v);
  }
  if (empty) return c.out.integer(0);
  // The smallest set's members, each looked up in the others, until the limit.
  std::sort(sets.begin(), sets.end(),
            [](const KeyValue* x, const KeyValue* y) { return x->set->size() < y->set->size(); });
  std::uint64_t n = 0;
  for (const std::string& m : sets.front()->set->elements()) {
    if (std::all_of(sets.begin() + 1, sets.end(),
                    [&](const KeyValue* other) { return other->set->contains(m); })) {
      if (++n == limit) break;
    }
  }
  c.out.integer(static_cast<std::int64_t>(n));
}

void sscan(Ctx& c) {
  const auto cursor = scan_cursor(c, c.args[2]);
  if (!cursor) return;
  // Redis's order: an absent key is an empty scan before any option is read.
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::set, v)) return;
  if (!v) {
    c.out.array_header(2);
    c.out.bulk("0");
    return c.out.array_header(0);
  }
  scan_items(c, *cursor, v->set->elements(), 1, [&](const std::string& m) { c.out.bulk(m); });
}

void sinter(Ctx& c) { set_read(c, SetOp::inter); }
void sunion(Ctx& c) { set_read(c, SetOp::uni); }
void sdiff(Ctx& c) { set_read(c, SetOp::diff); }
void sinterstore(Ctx& c) { set_store(c, SetOp::inter); }
void sunionstore(Ctx& c) { set_store(c, SetOp::uni); }
void sdiffstore(Ctx& c) { set_store(c, SetOp::diff); }

}  // namespace calm::apps::kvs::handlers
