#pragma once
/// KeyValue: what calm-kvs keeps under one key, as one lattice, so that anti-entropy can
/// replicate a keyspace of them (a Replica<KeyValue> holds key -> KeyValue).
///
/// A key may be a string (which INCR and friends also use as a counter), a set or a hash, as in
/// Redis; each type is a CRDT, and the value is their product:
///   - `str`:     LWWRegister<optional<string>>: SET writes it; DEL writes nullopt (a tombstone)
///                over what it saw; the latest write by hybrid-clock time wins.
///   - `counter`: INCRBY's increments, as a PNCounter of totals and a PNCounter of the totals
///                that SET and DEL saw and took away (ResettableCounter below): an INCR
///                concurrent with a SET elsewhere survives it (the value reads SET's + INCR's),
///                and the metadata stays one pair of totals per replica however many INCRs.
///                INCRBYFLOAT's increments count there too, as each replica's net decimal
///                (storage format 4), so concurrent INCRBYFLOATs add up.
///   - `set`:     AWSet<string>: SADD and SREM, add-wins.
///   - `hash`:    ORMap<field, MVRegister<string>>: HSET replaces the writes of the field it saw,
///                HDEL removes exactly them; concurrent HSETs of one field both stay until a
///                later write, and the field reads as the greatest of them.
///   - `list`:    List<string> (lattices/list.hpp, Fugue): LPUSH, RPUSH, LINSERT and LSET insert
///                runs; POPs, LREM, LTRIM and LSET erase what this replica sees. Concurrent pushes
///                all stay, in one order everywhere; two replicas may pop the same element
///                concurrently (at least once) unless the key is linearizable (docs/kvs.md).
///   - `hash_counters`: HINCRBY's increments, per field, as a MapUnion<field, ResettableCounter>:
///                a field counts as a string key does (its register's integer, or 0, plus its
///                counter), HSET and HDEL take away the counter they saw, and an HINCRBY
///                concurrent with them survives. Its metadata is one pair of totals per replica
///                per field ever counted, however many HINCRBYs.
///   - `zset`, `zset_scores`: a sorted set, as a hash is kept: ZADD writes a member's score in
///                an ORMap<member, MVRegister<double>> (replacing the writes it saw; add-wins
///                membership), ZINCRBY counts in a MapUnion<member, ScoreCounter>, and ZADD and
///                ZREM take away the increments they saw, so concurrent ZINCRBYs add up. A
///                member's score is its register's greatest value (or 0) plus its counter.
///   - `expiry`:  MVRegister<deadline>: when the key expires, in Unix ms, 0 for never. EXPIRE
///                writes a deadline, PERSIST writes 0, each replacing the writes it saw; among
///                concurrent writes 0 wins (PERSIST wins over any TTL), else the greatest
///                deadline (the longest TTL wins), as Redis's geo-replicated product resolves
///                them. SET takes away the deadline it saw (writing 0, only when it saw one);
///                DEL takes away the register. A key whose deadline has passed on a replica's
///                clock reads as absent there, and that replica deletes it (docs/kvs.md).
/// Commands of one type take away what they saw of the others (SET replaces a set, as in Redis;
/// DEL takes away everything it saw), so after quiet the key has one type. Writes of different
/// types made concurrently at different replicas can leave two types: then the key reads as
/// its highest type in the order hash, zset, set, list, string, and the other commands get
/// WRONGTYPE until a write of one type replaces the rest (docs/kvs.md).
///
/// A string reads as its register, plus the counter when the register holds an integer (or
/// nothing): "SET k 10" then "INCR k" reads 11. A non-integer string hides the counter, and INCR
/// on it is an error, as in Redis. Once an INCRBYFLOAT counts, the sum is an exact decimal:
/// "SET k 10" then "INCRBYFLOAT k 0.5" reads 10.5; a register that is no number hides the
/// counter.
#include <boost/hana/define_struct.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "lattices/aw_set.hpp"
#include "lattices/boxed.hpp"
#include "lattices/hybrid_clock.hpp"
#include "lattices/list.hpp"
#include "lattices/lww_register.hpp"
#include "lattices/map_union.hpp"
#include "lattices/mv_register.hpp"
#include "lattices/or_map.hpp"
#include "lattices/pn_counter.hpp"
#include "lattices/product.hpp"

namespace calm::apps::kvs {

namespace lat = calm::lattices;
using ReplicaId = std::uint64_t;

/// A counter that can be reset by an observed remove: `total` counts every increment and
/// decrement; `removed` is the join of the totals that removes saw. Its value is the difference,
/// so a remove takes away exactly what it saw and a concurrent increment survives. `removed`
/// is always below `total` (it only ever joins copies of `total`), so the difference per
/// replica never goes negative.
///
/// INCRBYFLOAT's increments are kept apart, in `decimals`: each replica's running net decimal
/// increment as exact decimal text (kvs/decimal.hpp), paired with the count of that replica's
/// INCRBYFLOATs so that its latest net wins the join (a replica only ever replaces its own
/// entry, so Max of (count, net) is its last write). `decimals_removed` holds the entries that
/// removes saw. A replica adds net - net removed, and nothing once a remove saw its latest
/// entry; so a decimal counter, too, converges, takes away what a remove saw, and keeps one
/// entry per replica however many INCRBYFLOATs. Sums are exact, so they do not depend on the
/// order they are taken in nor on the machine: every replica reads the same bytes from the
/// same state, and at one replica a key reads as exactly the text its last INCRBYFLOAT wrote.
struct ResettableCounter {
  using Net = std::pair<std::uint64_t, std::string>;  // (count of increments, net as text)
  using Nets = lat::MapUnion<ReplicaId, lat::Max<Net>>;
  BOOST_HANA_DEFINE_STRUCT(ResettableCounter, (lat::PNCounter<ReplicaId>, total),
                           (lat::PNCounter<ReplicaId>, removed), (Nets, decimals),
                           (Nets, decimals_removed));
  friend bool operator==(const ResettableCounter&, const ResettableCounter&) = default;
};

/// Redis's string2ld: a whole string strtold takes, no leading space, not NaN, no overflow to
/// infinity or underflow to zero; at most 5 KiB (MAX_LONG_DOUBLE_CHARS).
std::optional<long double> parse_long_double(const std::string& text);
/// Redis's ld2string in its human mode (what INCRBYFLOAT writes): 17 decimals, trailing zeros
/// and a trailing point cut, "-0" as "0"; empty past 5 KiB, as Redis's buffer gives.
std::string human_long_double(long double value);

/// ResettableCounter's twin for decimal increments (ZINCRBY's): each replica's sums of its
/// positive and of its negative increments only grow, so each is a Max<double> per replica
/// (adding a non-negative double never lowers a sum); `up_removed` and `down_removed` are the
/// sums that removes saw. It reads as sum(up - up_removed) - sum(down - down_removed). A
/// replica's sums stay finite: an increment that would make one infinite writes the score
/// instead (zset_increment).
struct ScoreCounter {
  using Sums = lat::MapUnion<ReplicaId, lat::Max<double>>;
  BOOST_HANA_DEFINE_STRUCT(ScoreCounter, (Sums, up), (Sums, down), (Sums, up_removed),
                           (Sums, down_removed));
  friend bool operator==(const ScoreCounter&, const ScoreCounter&) = default;
};

struct KeyValue {
  using Str = lat::LWWRegister<std::optional<std::string>, ReplicaId>;
  using Counter = ResettableCounter;
  using Set = lat::AWSet<std::string, ReplicaId>;
  using Hash = lat::ORMap<std::string, lat::MVRegister<std::string, ReplicaId>, ReplicaId>;
  using HashCounters = lat::MapUnion<std::string, ResettableCounter>;
  using List = lat::List<std::string, ReplicaId>;
  using ZSet = lat::ORMap<std::string, lat::MVRegister<double, ReplicaId>, ReplicaId>;
  using ZSetScores = lat::MapUnion<std::string, ScoreCounter>;
  using Expiry = lat::MVRegister<std::uint64_t, ReplicaId>;

  // `str` inline, the others boxed (lattices/boxed.hpp): a string key, the common case, pays
  // one pointer for each type it does not hold instead of its whole size (648 bytes in all
  // before). The bytes are those of the unboxed fields. Read a boxed field with -> or value();
  // write it with mutable_value(). `list` came in storage format 2; `zset`, `zset_scores` and
  // `expiry` in 3 (docs/kvs.md).
  BOOST_HANA_DEFINE_STRUCT(KeyValue, (Str, str), (lat::Boxed<Counter>, counter),
                           (lat::Boxed<Set>, set), (lat::Boxed<Hash>, hash),
                           (lat::Boxed<HashCounters>, hash_counters), (lat::Boxed<List>, list),
                           (lat::Boxed<ZSet>, zset), (lat::Boxed<ZSetScores>, zset_scores),
                           (lat::Boxed<Expiry>, expiry));
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

enum class Type { none, string, list, set, zset, hash };

/// The Redis type the key reads as (none for a deleted or never-written key).
Type type_of(const KeyValue& v);
/// "string", "list", "set", "zset", "hash" or "none", as TYPE answers.
const char* type_name(Type t);

/// GET's answer for a string key: the register, plus the counter when the register holds an
/// integer or nothing. Nothing when the key holds no string.
std::optional<std::string> string_value(const KeyValue& v);
/// The same, without a copy, for a string key that does not count (GET's common case); null
/// otherwise, and then string_value answers.
const std::string* plain_string_value(const KeyValue& v);

/// A hash field's value (the greatest of its concurrent writes, plus its counter when that
/// reads as an integer), or nothing when the key holds no such field.
std::optional<std::string> hash_field(const KeyValue& v, const std::string& field);
/// The hash's fields in order: written ones and counted ones.
std::vector<std::string> hash_fields(const KeyValue& v);
bool hash_contains(const KeyValue& v, const std::string& field);

/// A sorted set's member with its score.
struct ScoredMember {
  double score = 0;
  std::string member;
  /// Redis's order: by score, then by the member's bytes.
  friend bool operator<(const ScoredMember& a, const ScoredMember& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  }
};
/// A member and its score, pointing into the key's own bytes: valid until the key changes.
struct ScoredRef {
  double score = 0;
  const std::string* member = nullptr;
  /// Redis's order: by score, then by the member's bytes.
  friend bool operator<(const ScoredRef& a, const ScoredRef& b) {
    return a.score < b.score || (a.score == b.score && *a.member < *b.member);
  }
};
/// The sorted set's members with their scores, in no order, without copying a member: O(n)
/// for n members (and O(log c) each for c counted members). Scores are never NaN, so Redis's
/// order is a strict weak order on them.
std::vector<ScoredRef> zset_refs(const KeyValue& v);
/// A member's score (never NaN: see docs/kvs.md), or nothing when the key holds no such member.
std::optional<double> zset_score(const KeyValue& v, const std::string& member);
/// The sorted set's members in Redis's order. O(n log n) for n members.
std::vector<ScoredMember> zset_entries(const KeyValue& v);
/// The number of members. O(n).
std::size_t zset_size(const KeyValue& v);
/// The key's expiry, in Unix ms, 0 for none: among concurrent writes 0 (PERSIST) wins, else
/// the greatest deadline (the longest TTL).
std::uint64_t expiry_deadline_ms(const KeyValue& v);
/// Whether the key holds data whose deadline has passed at `now_ms` (strictly, as in Redis).
bool expired(const KeyValue& v, std::uint64_t now_ms);
/// Whether the key is to be deleted at `now_ms`: expired, or an expiry with no data left (an
/// EXPIRE or PERSIST concurrent with a DEL elsewhere leaves one; it reads as no key).
bool expiry_garbage(const KeyValue& v, std::uint64_t now_ms);

/// Why a command could not apply; the text is Redis's error reply.
struct CommandError {
  std::string message;
};
inline const CommandError wrong_type{
    "WRONGTYPE Operation against a key holding the wrong kind of value"};
inline const CommandError not_an_integer{"ERR value is not an integer or out of range"};
inline const CommandError overflow{"ERR increment or decrement would overflow"};
inline const CommandError hash_not_an_integer{"ERR hash value is not an integer"};
/// A replica's dot counter (one per write to a set or hash) would pass 2^64 - 1: only a forged
/// context can claim so many, and the write is refused rather than the counter wrapped.
inline const CommandError out_of_dots{"ERR this replica has no write identifiers left"};

/// Each mutator applies itself to `v` and returns its delta (a KeyValue), or an error that
/// changed nothing. `replica` writes; `now` is the replica's hybrid clock.

/// SET: the key becomes the string `value`, whatever it held before (what this replica saw).
KeyValue set_string(KeyValue& v, ReplicaId replica, std::string value, lat::HlcTimestamp now);
/// EXPIRE (a deadline in Unix ms) or PERSIST (0): replaces the expiry writes it saw; the delta.
KeyValue write_expiry(KeyValue& v, ReplicaId replica, std::uint64_t deadline_ms);
/// What SET and the other writes that replace a key do to its TTL: 0 over the deadline this
/// replica saw, and nothing (an empty delta) when it saw none.
KeyValue clear_expiry(KeyValue& v, ReplicaId replica);
/// DEL: takes away everything this replica saw of the key, its expiry included.
KeyValue remove_all(KeyValue& v, ReplicaId replica, lat::HlcTimestamp now);
/// INCRBYFLOAT on a coordination-free key: makes the key read as `text` (the current value plus
/// the increment, as Redis computes and writes it: the command's part) by this replica's
/// decimal counter, so that concurrent INCRBYFLOATs elsewhere add to it; the delta. The key
/// must be a string or absent. The text (the reply) and the delta, as `increment` gives; an
/// error past UINT64_MAX - 1 INCRBYFLOATs by one replica, or a net past decimal_digits_max.
std::variant<std::pair<std::string, KeyValue>, CommandError> increment_decimal(
    KeyValue& v, ReplicaId replica, const std::string& text);
/// HINCRBYFLOAT's twin, on a hash field (the key a hash or absent).
std::variant<std::pair<std::string, KeyValue>, CommandError> hash_increment_decimal(
    KeyValue& v, ReplicaId replica, const std::string& field, const std::string& text);
/// INCRBY n (DECRBY is INCRBY -n): the new value, and the delta.
std::variant<std::pair<std::int64_t, KeyValue>, CommandError> increment(KeyValue& v,
                                                                        ReplicaId replica,
                                                                        std::int64_t n);
/// Whether SADD of `member` would change nothing: the member is in `v`, tagged by a write in
/// `unpublished`, the join of the key's deltas that nobody outside this process has seen yet
/// (no peer, and no reply sent). Null `unpublished`: everything is published.
bool set_add_is_noop(const KeyValue& v, const std::string& member, const KeyValue* unpublished);
/// SADD one member: whether it was new, and the delta. WRONGTYPE on a string or hash key.
/// `unpublished` is the join of the key's deltas that nobody outside this process has seen
/// yet (no peer, and no reply sent); a member it already tags is not tagged again.
std::variant<std::pair<bool, KeyValue>, CommandError> set_add(
    KeyValue& v, ReplicaId replica, const std::string& member,
    const KeyValue* unpublished = nullptr);
/// SREM one member: whether it was there, and the delta.
std::variant<std::pair<bool, KeyValue>, CommandError> set_remove(KeyValue& v,
                                                                 const std::string& member);
/// HSET one field: whether it was new, and the delta.
std::variant<std::pair<bool, KeyValue>, CommandError> hash_set(KeyValue& v, ReplicaId replica,
                                                               const std::string& field,
                                                               std::string value);
/// HSET of several fields as one write: how many fields were new, and the delta (the join of
/// what hash_set of each would return). `pairs` alternates field and value; a field given twice
/// takes its last value, as in Redis. O(k log k + h) for k fields on a hash of h entries: the
/// delta is built in field order and joined into the value once.
std::variant<std::pair<std::int64_t, KeyValue>, CommandError> hash_set_fields(
    KeyValue& v, ReplicaId replica, std::span<const std::string> pairs);
/// HDEL of several fields as one write: how many were there, and the delta. O(k log k + h).
std::variant<std::pair<std::int64_t, KeyValue>, CommandError> hash_remove_fields(
    KeyValue& v, std::span<const std::string> fields);
/// HINCRBY n: the field's new value, and the delta. Redis's errors for a non-integer field
/// and an overflow; WRONGTYPE on a string or set key.
std::variant<std::pair<std::int64_t, KeyValue>, CommandError> hash_increment(
    KeyValue& v, ReplicaId replica, const std::string& field, std::int64_t n);
/// A list key's elements [from, to) by position (to clamped), in order.
std::vector<std::string> list_range(const KeyValue& v, std::size_t from, std::size_t to);
/// Inserts `values` as one run before the list's element at `pos` (callers check the type
/// first): the delta, or out_of_dots (nothing changed) when the replica's element counters
/// would run out.
std::variant<KeyValue, CommandError> list_insert(KeyValue& v, ReplicaId replica, std::size_t pos,
                                                 std::vector<std::string> values);
/// Removes the list's elements [pos, pos + n) as this replica sees them; the delta.
KeyValue list_erase(KeyValue& v, std::size_t pos, std::size_t n);
/// Removes the list's elements at `positions` (ascending) with one delta (LREM).
KeyValue list_erase_each(KeyValue& v, const std::vector<std::size_t>& positions);
/// ZADD (without its conditions, which the caller decides): writes each member's score as one
/// write, replacing the score writes and increments of it this replica saw. `members` and
/// `scores` are parallel; a member given twice takes its last score. How many members are new,
/// and the delta. WRONGTYPE on another type; out_of_dots when the replica's dots run out.
std::variant<std::pair<std::int64_t, KeyValue>, CommandError> zset_add(
    KeyValue& v, ReplicaId replica, std::span<const std::string> members,
    std::span<const double> scores);
/// ZINCRBY n: the member's new score, and the delta. Redis's error when the score would be NaN.
std::variant<std::pair<double, KeyValue>, CommandError> zset_increment(KeyValue& v,
                                                                       ReplicaId replica,
                                                                       const std::string& member,
                                                                       double n);
/// ZREM: how many of `members` were there, and the delta taking away what this replica saw of
/// them (their score writes and increments).
std::variant<std::pair<std::int64_t, KeyValue>, CommandError> zset_remove(
    KeyValue& v, std::span<const std::string> members);
inline const CommandError score_is_nan{"ERR resulting score is not a number (NaN)"};

/// HDEL one field: whether it was there, and the delta.
std::variant<std::pair<bool, KeyValue>, CommandError> hash_remove(KeyValue& v,
                                                                  const std::string& field);

}  // namespace calm::apps::kvs
