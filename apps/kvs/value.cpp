#include "kvs/value.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kvs/decimal.hpp"
#include "kvs/resp.hpp"
#include "lattices/assert.hpp"

namespace calm::apps::kvs {
namespace {

/// A counter's exact value: each replica's totals are below 2^64, so the library's 128-bit
/// reading never overflows and never throws (PNCounter::value() throws past int64, which
/// concurrent increments can reach).
using Wide = lat::int128;
constexpr Wide int64_min = std::numeric_limits<std::int64_t>::min();
constexpr Wide int64_max = std::numeric_limits<std::int64_t>::max();

/// A replica's entry in `nets`, or bottom.
ResettableCounter::Net net_at(const ResettableCounter::Nets& nets, ReplicaId replica) {
  return nets.contains(replica) ? nets.get(replica).reveal() : ResettableCounter::Net{};
}
/// Whether some replica's latest decimal entry is not one a remove saw.
bool counting_decimals(const ResettableCounter& c) {
  for (const auto& [replica, net] : c.decimals) {
    if (net_at(c.decimals_removed, replica) < net.reveal()) return true;
  }
  return false;
}
/// Whether some increment is not taken away yet.
bool counting(const ResettableCounter& c) {
  return !(c.total == c.removed) || counting_decimals(c);
}
Wide counted(const ResettableCounter& c) { return c.total.wide_value() - c.removed.wide_value(); }

/// A net as a number: 0 for none, and for text that is none (only a peer's forged bytes, which
/// Admission refuses, hold such).
Decimal net_value(const ResettableCounter::Net& net) {
  return Decimal::parse(net.second).value_or(Decimal{});
}
/// What `replica`'s INCRBYFLOATs add: its net less the net a remove saw; exactly nothing once a
/// remove saw its latest entry. Nothing when the difference is past decimal_digits_max.
std::optional<Decimal> decimal_contribution(const ResettableCounter& c, ReplicaId replica,
                                            const ResettableCounter::Net& net) {
  const ResettableCounter::Net removed = net_at(c.decimals_removed, replica);
  if (!(removed < net)) return Decimal{};
  return net_value(net) - net_value(removed);
}

std::string decimal(Wide n) { return lat::to_string(n); }

/// The string the register holds, without a copy; null when it holds none (or a tombstone).
const std::string* written(const KeyValue& v) {
  const auto* w = v.str.value_ptr();
  return w && w->has_value() ? &**w : nullptr;
}

/// Adds n to the counter's total as `replica`; returns the total's delta (bottom for n == 0),
/// or nothing, changing nothing, when the replica's total in that direction would pass
/// UINT64_MAX (its increments of one key, over the key's whole life, since a remove takes
/// them away by remembering them).
std::optional<lat::PNCounter<ReplicaId>> count(ResettableCounter& c, ReplicaId replica,
                                               std::int64_t n) {
  // The magnitude of INT64_MIN does not fit an int64: count it in unsigned arithmetic.
  const bool up = n >= 0;
  const std::uint64_t magnitude =
      up ? static_cast<std::uint64_t>(n) : std::uint64_t{0} - static_cast<std::uint64_t>(n);
  if (magnitude == 0) return lat::PNCounter<ReplicaId>{};
  const std::uint64_t before =
      up ? c.total.increments().get(replica) : c.total.decrements().get(replica);
  if (magnitude > std::numeric_limits<std::uint64_t>::max() - before) return std::nullopt;
  // Checked above, so the library's own refusal (a replica's total past UINT64_MAX) never
  // throws here.
  return up ? c.total.increment(replica, magnitude) : c.total.decrement(replica, magnitude);
}

bool holds_string(const KeyValue& v) { return written(v) != nullptr || counting(*v.counter); }

/// A register's text as an exact decimal: plain decimal text as it is; other text strtold takes
/// (a hex float), as INCRBYFLOAT would read it; nothing for text that is no finite number.
std::optional<Decimal> decimal_of(const std::string& text) {
  if (auto exact = Decimal::parse(text)) return exact;
  const auto value = parse_long_double(text);
  if (!value || std::isinf(*value)) return std::nullopt;
  return Decimal::parse(human_long_double(*value));
}

/// What a register (null: none) plus a counter that counts decimals reads as, exactly: the
/// register's number, the integer counter and each replica's contribution; nothing when the
/// register holds no number (or the sum is past decimal_digits_max).
std::optional<Decimal> exact_sum(const std::string* base_text, const ResettableCounter& c) {
  std::optional<Decimal> sum = Decimal{};
  if (base_text) sum = decimal_of(*base_text);
  if (sum) sum = *sum + Decimal::of_integer(decimal(counted(c)));
  for (const auto& [replica, net] : c.decimals) {
    if (!sum) break;
    const auto part = decimal_contribution(c, replica, net.reveal());
    sum = part ? *sum + *part : std::nullopt;
  }
  return sum;
}
std::optional<std::string> decimal_sum(const std::string* base_text, const ResettableCounter& c) {
  const auto sum = exact_sum(base_text, c);
  if (!sum) return std::nullopt;
  return sum->text();
}

/// The integer a register (null: none) plus a counter reads as, exactly; nothing when the
/// register holds a non-integer, or decimals count to a sum that is no integer.
std::optional<Wide> integer_sum(const std::string* base_text, const ResettableCounter& c) {
  if (counting_decimals(c)) {
    const auto text = decimal_sum(base_text, c);
    const auto n = text ? parse_int64(*text) : std::nullopt;
    if (!n) return std::nullopt;
    return *n;
  }
  Wide base = 0;
  if (base_text) {
    const auto parsed = parse_int64(*base_text);
    if (!parsed) return std::nullopt;
    base = *parsed;
  }
  return base + counted(c);
}

/// What a register (null: none) plus a counting counter reads as; nothing when the register's
/// text hides the counter.
std::optional<std::string> counter_text(const std::string* base_text, const ResettableCounter& c) {
  if (counting_decimals(c)) return decimal_sum(base_text, c);
  if (const auto n = integer_sum(base_text, c)) return decimal(*n);
  return std::nullopt;
}

/// Sets `replica`'s decimal entry so that the register (null: none) plus the counter reads as
/// `text`: its contribution grows by `text` less what the key reads as now, exactly. The
/// delta, or nothing when the net would pass decimal_digits_max or the replica's count of
/// entries UINT64_MAX - 1 (a forged count).
std::optional<ResettableCounter> count_decimal_to(ResettableCounter& c, ReplicaId replica,
                                                  const std::string* base_text,
                                                  const std::string& text) {
  const ResettableCounter::Net mine = net_at(c.decimals, replica);
  const ResettableCounter::Net removed = net_at(c.decimals_removed, replica);
  const std::uint64_t last = std::max(mine.first, removed.first);
  if (last >= std::numeric_limits<std::uint64_t>::max() - 1) return std::nullopt;
  const auto now = exact_sum(base_text, c);
  const auto target = Decimal::parse(text);
  if (!now || !target) return std::nullopt;
  const auto by = *target - *now;
  // The running net this replica's contribution is measured against: its own, or the one a
  // remove saw when that remove saw its latest.
  const Decimal from = net_value(removed < mine ? mine : removed);
  const auto net = by ? from + *by : std::nullopt;
  if (!net) return std::nullopt;
  ResettableCounter delta;
  delta.decimals.merge_at(replica, lat::Max<ResettableCounter::Net>({last + 1, net->text()}));
  c.decimals.merge(delta.decimals);
  return delta;
}

/// The integer a string key reads as, if it reads as one: the register's integer (or 0 when
/// it holds nothing) plus the counter; nothing when the register holds a non-integer.
std::optional<Wide> integer_value(const KeyValue& v) { return integer_sum(written(v), *v.counter); }

/// The int64 that INCR and HINCRBY start from, if the value is one.
std::optional<std::int64_t> narrow(const std::optional<Wide>& n) {
  if (!n || *n < int64_min || *n > int64_max) return std::nullopt;
  return static_cast<std::int64_t>(*n);
}

/// A field's register value (the greatest of its concurrent writes), if written.
std::optional<std::string> field_register(const KeyValue& v, const std::string& field) {
  if (!v.hash->contains(field)) return std::nullopt;
  std::vector<std::string> writes = v.hash->get(field).values();
  if (writes.empty()) return std::nullopt;
  return std::move(writes.back());
}

/// A replica's sum in `sums`: 0 when it has none.
double sum_at(const ScoreCounter::Sums& sums, ReplicaId replica) {
  return sums.contains(replica) ? sums.get(replica).reveal() : 0.0;
}
/// What a score counter adds: its increments less those that removes saw. Finite sums of
/// finite parts may still overflow to an infinity, or a forged one hold infinities: callers
/// read a NaN as no increment (scored).
double counted(const ScoreCounter& c) {
  double sum = 0;
  for (const auto& [replica, up] : c.up) sum += up.reveal() - sum_at(c.up_removed, replica);
  for (const auto& [replica, down] : c.down) sum -= down.reveal() - sum_at(c.down_removed, replica);
  return sum;
}
bool counting(const ScoreCounter& c) { return !(c.up == c.up_removed && c.down == c.down_removed); }
/// Whether `counters` holds a counter for `key` that counts (reads as a value).
template <class Counters>
bool counting_field(const Counters& counters, const std::string& key) {
  return !counters.empty() && counters.contains(key) && counting(counters.get(key));
}
/// The counter as a remove that saw it leaves it.
ScoreCounter taken(const ScoreCounter& c) { return ScoreCounter{c.up, c.down, c.up, c.down}; }
ResettableCounter taken(const ResettableCounter& c) {
  return ResettableCounter{c.total, c.total, c.decimals, c.decimals};
}

/// The greatest of a member's concurrent score writes, skipping a NaN (only a peer's forged
/// bytes hold one); nothing when it has none. O(writes), no allocation.
template <class Writes>
std::optional<double> greatest_write(const Writes& writes) {
  std::optional<double> out;
  for (const auto& [dot, score] : writes) {
    if (!std::isnan(score) && (!out || score > *out)) out = score;
  }
  return out;
}

/// A member's score from its writes (null: none) and its counter (null: none): the greatest
/// write (0 when none) plus what the counter adds; never NaN (a sum that is NaN, which only
/// overflowing or forged sums give, reads as the written score).
template <class Writes>
double score_of(const Writes* writes, const ScoreCounter* counter) {
  const double base = writes ? greatest_write(*writes).value_or(0.0) : 0.0;
  if (!counter) return base;
  const double sum = base + counted(*counter);
  return std::isnan(sum) ? base : sum;
}

double scored(const KeyValue& v, const std::string& member) {
  const ScoreCounter* counter =
      v.zset_scores->contains(member) ? &v.zset_scores->get(member) : nullptr;
  return score_of(v.zset->dotted().store().find(member), counter);
}

bool counting_members(const KeyValue& v) {
  for (const auto& [member, c] : *v.zset_scores) {
    if (counting(c)) return true;
  }
  return false;
}

bool counting_fields(const KeyValue& v) {
  for (const auto& [field, c] : *v.hash_counters) {
    if (counting(c)) return true;
  }
  return false;
}

/// Takes away what this replica saw of the key's other types, into `delta`.
void remove_counter(KeyValue& v, KeyValue& delta) {
  if (!counting(*v.counter)) return;
  // As a hash field's: a join, not a copy (a remove's record may have come before the entry
  // it saw), and the delta carries what it saw, so that a replica that gets the record before
  // those increments does not read total - removed < 0 (a phantom key).
  ResettableCounter seen = taken(*v.counter);
  lat::merge(v.counter.mutable_value(), seen);
  delta.counter = std::move(seen);
}
void remove_set(KeyValue& v, KeyValue& delta) {
  if (!v.set->empty()) delta.set = v.set.mutable_value().clear();
}
/// Takes away the field's counter as this replica saw it.
void remove_field_counter(KeyValue& v, const std::string& field, KeyValue& delta) {
  if (!v.hash_counters->contains(field)) return;
  const ResettableCounter& c = v.hash_counters->get(field);
  if (!counting(c)) return;
  const ResettableCounter seen = taken(c);
  delta.hash_counters.mutable_value().merge_at(field, seen);
  v.hash_counters.mutable_value().merge_at(field, seen);
}
void remove_zset(KeyValue& v, KeyValue& delta) {
  if (!v.zset->empty()) delta.zset = v.zset.mutable_value().clear();
  if (v.zset_scores->empty()) return;
  KeyValue::ZSetScores seen;
  for (const auto& [member, c] : *v.zset_scores) {
    if (counting(c)) seen.merge_at(member, taken(c));
  }
  v.zset_scores.mutable_value().merge(seen);
  delta.zset_scores.merge(lat::Boxed(std::move(seen)));
}
void remove_list(KeyValue& v, KeyValue& delta) {
  if (v.list->size() > 0) delta.list = v.list.mutable_value().erase(0, v.list->size());
}
void remove_hash(KeyValue& v, KeyValue& delta) {
  if (!v.hash->empty()) delta.hash = v.hash.mutable_value().clear();
  if (v.hash_counters->empty()) return;
  KeyValue::HashCounters taken;
  for (const auto& [field, c] : *v.hash_counters) {
    if (counting(c)) taken.merge_at(field, kvs::taken(c));
  }
  v.hash_counters.mutable_value().merge(taken);
  delta.hash_counters.merge(lat::Boxed(std::move(taken)));
}

}  // namespace

Type type_of(const KeyValue& v) {
  if (!v.hash->empty() || counting_fields(v)) return Type::hash;
  if (!v.zset->empty() || counting_members(v)) return Type::zset;
  if (!v.set->empty()) return Type::set;
  if (v.list->size() > 0) return Type::list;
  if (holds_string(v)) return Type::string;
  return Type::none;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::string:
      return "string";
    case Type::list:
      return "list";
    case Type::set:
      return "set";
    case Type::zset:
      return "zset";
    case Type::hash:
      return "hash";
    case Type::none:
      break;
  }
  return "none";
}

std::optional<std::string> string_value(const KeyValue& v) {
  if (type_of(v) != Type::string) return std::nullopt;
  if (!counting(*v.counter)) return *written(v);
  if (auto text = counter_text(written(v), *v.counter)) return text;
  // A non-number string hides the counter; a register of nothing (a forged sum that is no
  // number) reads as 0.
  return written(v) ? *written(v) : std::string("0");
}

const std::string* plain_string_value(const KeyValue& v) {
  if (counting(*v.counter) || type_of(v) != Type::string) return nullptr;
  return written(v);
}

std::optional<std::string> hash_field(const KeyValue& v, const std::string& field) {
  std::optional<std::string> reg = field_register(v, field);
  if (!v.hash_counters->contains(field)) return reg;
  const ResettableCounter& c = v.hash_counters->get(field);
  if (!counting(c)) return reg;
  if (auto text = counter_text(reg ? &*reg : nullptr, c)) return text;
  return reg ? reg : std::optional<std::string>("0");  // as for string keys
}

std::vector<std::string> hash_fields(const KeyValue& v) {
  std::vector<std::string> fields = v.hash->keys();
  if (!counting_fields(v)) return fields;
  for (const auto& [field, c] : *v.hash_counters) {
    if (counting(c)) fields.push_back(field);
  }
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  return fields;
}

bool hash_contains(const KeyValue& v, const std::string& field) {
  return v.hash->contains(field) || counting_field(*v.hash_counters, field);
}

KeyValue set_string(KeyValue& v, ReplicaId replica, std::string value, lat::HlcTimestamp now) {
  KeyValue delta;
  remove_counter(v, delta);
  remove_set(v, delta);
  remove_list(v, delta);
  remove_hash(v, delta);
  remove_zset(v, delta);
  delta.str = v.str.write(replica, std::optional<std::string>(std::move(value)), now);
  return delta;
}

std::uint64_t expiry_deadline_ms(const KeyValue& v) {
  const std::vector<std::uint64_t> deadlines = v.expiry->values();  // sorted
  if (deadlines.empty() || deadlines.front() == 0) return 0;
  // A peer's bytes may claim any deadline: past 2^63 - 1 ms (Redis's largest) it reads as that,
  // so PTTL and PEXPIRETIME stay positive int64s.
  return std::min<std::uint64_t>(deadlines.back(), INT64_MAX);
}

bool expired(const KeyValue& v, std::uint64_t now_ms) {
  const std::uint64_t deadline = expiry_deadline_ms(v);
  return deadline != 0 && deadline < now_ms && type_of(v) != Type::none;
}

bool expiry_garbage(const KeyValue& v, std::uint64_t now_ms) {
  return !v.expiry->values().empty() && (type_of(v) == Type::none || expired(v, now_ms));
}

KeyValue write_expiry(KeyValue& v, ReplicaId replica, std::uint64_t deadline_ms) {
  KeyValue delta;
  delta.expiry = v.expiry.mutable_value().write(replica, deadline_ms);
  return delta;
}

KeyValue clear_expiry(KeyValue& v, ReplicaId replica) {
  if (expiry_deadline_ms(v) == 0) return {};
  return write_expiry(v, replica, 0);
}

KeyValue remove_all(KeyValue& v, ReplicaId replica, lat::HlcTimestamp now) {
  KeyValue delta;
  if (!v.expiry->values().empty()) delta.expiry = v.expiry.mutable_value().clear();
  remove_counter(v, delta);
  remove_set(v, delta);
  remove_list(v, delta);
  remove_hash(v, delta);
  remove_zset(v, delta);
  if (written(v)) delta.str = v.str.write(replica, std::optional<std::string>(), now);
  return delta;
}

std::optional<long double> parse_long_double(const std::string& text) {
  if (text.empty() || text.size() >= 5 * 1024 ||
      std::isspace(static_cast<unsigned char>(text[0]))) {
    return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  const long double value = std::strtold(text.c_str(), &end);
  if (end != text.c_str() + text.size() || std::isnan(value) ||
      (errno == ERANGE &&
       (value == HUGE_VALL || value == -HUGE_VALL || std::fpclassify(value) == FP_ZERO))) {
    return std::nullopt;
  }
  return value;
}

std::string human_long_double(long double value) {
  std::array<char, 5 * 1024> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%.17Lf", value);
  if (n < 0 || static_cast<std::size_t>(n) + 1 > buf.size()) return {};
  std::string out(buf.data(), static_cast<std::size_t>(n));
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::variant<std::pair<std::string, KeyValue>, CommandError> increment_decimal(
    KeyValue& v, ReplicaId replica, const std::string& text) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::string) return wrong_type;
  auto counted_delta = count_decimal_to(v.counter.mutable_value(), replica, written(v), text);
  if (!counted_delta) return overflow;
  KeyValue delta;
  delta.counter = std::move(*counted_delta);
  return std::pair{text, std::move(delta)};
}

std::variant<std::pair<std::string, KeyValue>, CommandError> hash_increment_decimal(
    KeyValue& v, ReplicaId replica, const std::string& field, const std::string& text) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::hash) return wrong_type;
  const std::optional<std::string> reg = field_register(v, field);
  ResettableCounter counter = v.hash_counters->get(field);  // bottom when never counted
  auto counted_delta = count_decimal_to(counter, replica, reg ? &*reg : nullptr, text);
  if (!counted_delta) return overflow;
  KeyValue delta;
  delta.hash_counters.mutable_value().merge_at(field, *counted_delta);
  v.hash_counters.mutable_value().merge_at(field, std::move(*counted_delta));
  return std::pair{text, std::move(delta)};
}

std::variant<std::pair<std::int64_t, KeyValue>, CommandError> increment(KeyValue& v,
                                                                        ReplicaId replica,
                                                                        std::int64_t n) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::string) return wrong_type;
  // A value outside int64 reads as its exact decimal; Redis answers INCR on such a string so.
  const auto current = narrow(integer_value(v));
  if (!current) return not_an_integer;
  std::int64_t next = 0;
  if (__builtin_add_overflow(*current, n, &next)) return overflow;
  // INCRBY 0 writes nothing, and must not give a string key a counter's box.
  auto total = n == 0 ? std::optional(lat::PNCounter<ReplicaId>{})
                      : count(v.counter.mutable_value(), replica, n);
  if (!total) return overflow;
  KeyValue delta;
  delta.counter.mutable_value().total = std::move(*total);
  return std::pair{next, std::move(delta)};
}

bool set_add_is_noop(const KeyValue& v, const std::string& member, const KeyValue* unpublished) {
  return unpublished && unpublished->set->contains(member) && v.set->contains(member);
}

std::variant<std::pair<bool, KeyValue>, CommandError> set_add(KeyValue& v, ReplicaId replica,
                                                              const std::string& member,
                                                              const KeyValue* unpublished) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::set) return wrong_type;
  const bool fresh = !v.set->contains(member);
  // Adding a member already there still re-tags it: a concurrent remove elsewhere must not
  // take away an add that this replica has just acknowledged. A tag nobody has seen yet
  // already does that, so one is enough per member between publications (a pipeline of
  // SADDs of one member costs one dot, not one per command).
  if (set_add_is_noop(v, member, unpublished)) return std::pair{false, KeyValue{}};
  if (v.set->context().max(replica) == std::numeric_limits<std::uint64_t>::max()) {
    return out_of_dots;
  }
  KeyValue delta;
  delta.set = v.set.mutable_value().add(replica, member);
  return std::pair{fresh, std::move(delta)};
}

std::variant<std::pair<bool, KeyValue>, CommandError> set_remove(KeyValue& v,
                                                                 const std::string& member) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::set) return wrong_type;
  if (!v.set->contains(member)) return std::pair{false, KeyValue{}};
  KeyValue delta;
  delta.set = v.set.mutable_value().remove(member);
  return std::pair{true, std::move(delta)};
}

std::variant<std::pair<bool, KeyValue>, CommandError> hash_set(KeyValue& v, ReplicaId replica,
                                                               const std::string& field,
                                                               std::string value) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::hash) return wrong_type;
  const bool fresh = !hash_contains(v, field);
  if (v.hash->context().max(replica) == std::numeric_limits<std::uint64_t>::max()) {
    return out_of_dots;
  }
  KeyValue delta;
  remove_field_counter(v, field, delta);
  delta.hash = v.hash.mutable_value().update(replica, field,
                                             [&](lat::MVRegister<std::string, ReplicaId>& r) {
                                               return r.write(replica, std::move(value));
                                             });
  return std::pair{fresh, std::move(delta)};
}

std::vector<std::string> list_range(const KeyValue& v, std::size_t from, std::size_t to) {
  std::vector<std::string> out;
  if (from < to) out.reserve(std::min(to, v.list->size()) - std::min(from, v.list->size()));
  v.list->for_each(from, to, [&](const std::string& x) { out.push_back(x); });
  return out;
}

std::variant<KeyValue, CommandError> list_insert(KeyValue& v, ReplicaId replica, std::size_t pos,
                                                 std::vector<std::string> values) {
  KeyValue delta;
  try {
    delta.list =
        v.list.mutable_value().insert(replica, pos, std::make_move_iterator(values.begin()),
                                      std::make_move_iterator(values.end()));
  } catch (const std::overflow_error&) {
    return out_of_dots;  // only a forged value claims a replica's last counter
  }
  return delta;
}

KeyValue list_erase(KeyValue& v, std::size_t pos, std::size_t n) {
  KeyValue delta;
  if (n > 0) delta.list = v.list.mutable_value().erase(pos, n);
  return delta;
}

KeyValue list_erase_each(KeyValue& v, const std::vector<std::size_t>& positions) {
  KeyValue delta;
  if (!positions.empty()) delta.list = v.list.mutable_value().erase_each(positions);
  return delta;
}

std::variant<std::pair<bool, KeyValue>, CommandError> hash_remove(KeyValue& v,
                                                                  const std::string& field) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::hash) return wrong_type;
  if (!hash_contains(v, field)) return std::pair{false, KeyValue{}};
  KeyValue delta;
  remove_field_counter(v, field, delta);
  if (v.hash->contains(field)) delta.hash = v.hash.mutable_value().remove(field);
  return std::pair{true, std::move(delta)};
}

namespace {

using Dot = lat::Dot<ReplicaId>;
using Context = lat::DotContext<ReplicaId>;

/// The indices of `words` (every `step`-th from 0) in word order, each word once: its last
/// occurrence, as Redis keeps the last value of a field given twice.
std::vector<std::size_t> sorted_unique(std::span<const std::string> words, std::size_t step) {
  std::vector<std::size_t> order;
  order.reserve(words.size() / step);
  for (std::size_t i = 0; i < words.size(); i += step) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return words[a] < words[b]; });
  std::vector<std::size_t> last;
  last.reserve(order.size());
  for (std::size_t j = 0; j < order.size(); ++j) {
    if (j + 1 == order.size() || words[order[j]] != words[order[j + 1]]) last.push_back(order[j]);
  }
  return last;
}

/// The context holding `dots` (sorted here) and, when `count` > 0, `replica`'s dots
/// first..first + count - 1. Inserted in order, each lands at the end: O(n log n).
Context context_of(std::vector<Dot> dots, ReplicaId replica, std::uint64_t first,
                   std::uint64_t count) {
  std::sort(dots.begin(), dots.end());
  Context context;
  bool fresh_inserted = count == 0;
  for (const Dot& d : dots) {
    if (!fresh_inserted && replica < d.replica) {
      context.insert_range(replica, first, first + count - 1);
      fresh_inserted = true;
    }
    context.insert(d);
  }
  if (!fresh_inserted) context.insert_range(replica, first, first + count - 1);
  return context;
}

/// The counters of `words[i]`, i in `keys` (sorted, unique), that are counting, as a delta
/// taking them away.
template <class Counters>
Counters taken_counters(const Counters& counters, std::span<const std::string> words,
                        const std::vector<std::size_t>& keys) {
  std::vector<std::pair<std::string, typename Counters::mapped_type>> seen;
  if (!counters.empty()) {
    for (std::size_t i : keys) {
      if (!counters.contains(words[i])) continue;
      const auto& c = counters.get(words[i]);
      if (counting(c)) seen.emplace_back(words[i], taken(c));
    }
  }
  return Counters(seen.begin(), seen.end());
}

/// The delta of writing, as `replica`, `value_of(i)` under the key `words[i]` of `map`, for i in
/// `keys` (sorted by word, unique): each under a fresh dot, replacing the writes of the key that
/// this replica saw. Built in key order, so O(k log k + h) for k keys in a map of h entries.
/// `on_absent(i)` runs for each key the map does not hold (the one search a key costs, shared
/// with the caller's count of new keys). The caller checks that the replica has k dots left.
template <class OrMap, class ValueOf, class OnAbsent>
OrMap write_keys(const OrMap& map, ReplicaId replica, std::span<const std::string> words,
                 const std::vector<std::size_t>& keys, ValueOf value_of, OnAbsent on_absent) {
  const std::uint64_t last = map.context().max(replica);
  typename OrMap::store_type store;
  std::vector<Dot> replaced;
  std::uint64_t counter = last;
  for (std::size_t i : keys) {
    if (const auto* old = map.dotted().store().find(words[i])) {
      old->for_each_dot([&](const Dot& d) { replaced.push_back(d); });
    } else {
      on_absent(i);
    }
    using Writes = typename OrMap::store_type::mapped_type;
    store.set(words[i], Writes{{Dot{replica, ++counter}, value_of(i)}});  // in order: appended
  }
  return OrMap(typename OrMap::dotted_type(
      std::move(store), context_of(std::move(replaced), replica, last + 1, keys.size())));
}

/// The delta removing the writes that this replica saw of the keys `words[i]`, i in `keys`;
/// nothing when it saw none.
template <class OrMap>
std::optional<OrMap> remove_keys(const OrMap& map, std::span<const std::string> words,
                                 const std::vector<std::size_t>& keys) {
  std::vector<Dot> seen;
  for (std::size_t i : keys) {
    if (const auto* old = map.dotted().store().find(words[i])) {
      old->for_each_dot([&](const Dot& d) { seen.push_back(d); });
    }
  }
  if (seen.empty()) return std::nullopt;
  return OrMap(typename OrMap::dotted_type({}, context_of(std::move(seen), ReplicaId{}, 0, 0)));
}

}  // namespace

std::variant<std::pair<std::int64_t, KeyValue>, CommandError> hash_set_fields(
    KeyValue& v, ReplicaId replica, std::span<const std::string> pairs) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::hash) return wrong_type;
  const std::vector<std::size_t> fields = sorted_unique(pairs, 2);
  if (fields.size() > std::numeric_limits<std::uint64_t>::max() - v.hash->context().max(replica)) {
    return out_of_dots;
  }
  // What hash_set of each field would do, joined: each field's new write under a fresh dot, and
  // the writes and counter of the field it saw replaced. A field is new when it has neither
  // writes (write_keys searches them) nor a counter that counts (as hash_contains).
  std::int64_t added = 0;
  KeyValue delta;
  delta.hash = write_keys(
      *v.hash, replica, pairs, fields, [&](std::size_t i) { return pairs[i + 1]; },
      [&](std::size_t i) { added += counting_field(*v.hash_counters, pairs[i]) ? 0 : 1; });
  delta.hash_counters = taken_counters(*v.hash_counters, pairs, fields);
  if (!delta.hash_counters->empty()) v.hash_counters.merge(delta.hash_counters);
  v.hash.merge(delta.hash);
  return std::pair{added, std::move(delta)};
}

std::variant<std::pair<std::int64_t, KeyValue>, CommandError> hash_remove_fields(
    KeyValue& v, std::span<const std::string> fields) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::hash) return wrong_type;
  std::vector<std::size_t> present;
  for (std::size_t i : sorted_unique(fields, 1)) {
    if (hash_contains(v, fields[i])) present.push_back(i);
  }
  KeyValue delta;
  const auto removed = static_cast<std::int64_t>(present.size());
  if (removed == 0) return std::pair{removed, std::move(delta)};
  delta.hash_counters = taken_counters(*v.hash_counters, fields, present);
  if (!delta.hash_counters->empty()) v.hash_counters.merge(delta.hash_counters);
  if (auto seen = remove_keys(*v.hash, fields, present)) {
    delta.hash = std::move(*seen);
    v.hash.merge(delta.hash);
  }
  return std::pair{removed, std::move(delta)};
}

std::variant<std::pair<std::int64_t, KeyValue>, CommandError> hash_increment(
    KeyValue& v, ReplicaId replica, const std::string& field, std::int64_t n) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::hash) return wrong_type;
  const std::optional<std::string> reg = field_register(v, field);
  const ResettableCounter& c = v.hash_counters->get(field);  // bottom when never counted
  // A register that is no integer, or a sum outside int64: Redis's answer for such a value.
  const auto current = narrow(integer_sum(reg ? &*reg : nullptr, c));
  if (!current) return hash_not_an_integer;
  std::int64_t next = 0;
  if (__builtin_add_overflow(*current, n, &next)) return overflow;
  KeyValue delta;
  if (n != 0) {
    ResettableCounter counter = c;
    auto total = count(counter, replica, n);
    if (!total) return overflow;
    ResettableCounter d;
    d.total = std::move(*total);
    delta.hash_counters.mutable_value().merge_at(field, d);
    v.hash_counters.mutable_value().merge_at(field, std::move(d));
  }
  return std::pair{next, std::move(delta)};
}

std::optional<double> zset_score(const KeyValue& v, const std::string& member) {
  if (v.zset->contains(member) || counting_field(*v.zset_scores, member)) {
    return scored(v, member);
  }
  return std::nullopt;
}

std::vector<ScoredRef> zset_refs(const KeyValue& v) {
  std::vector<ScoredRef> out;
  out.reserve(v.zset->size());
  const KeyValue::ZSetScores& counters = *v.zset_scores;
  for (const auto& [member, writes] : v.zset->dotted().store()) {
    const ScoreCounter* c =
        counters.empty() || !counters.contains(member) ? nullptr : &counters.get(member);
    out.push_back({score_of(&writes, c), &member});
  }
  for (const auto& [member, c] : counters) {
    if (counting(c) && !v.zset->contains(member)) {
      out.push_back({score_of<KeyValue::ZSet::store_type::mapped_type>(nullptr, &c), &member});
    }
  }
  return out;
}

std::vector<ScoredMember> zset_entries(const KeyValue& v) {
  std::vector<ScoredRef> refs = zset_refs(v);
  std::sort(refs.begin(), refs.end());
  std::vector<ScoredMember> out;
  out.reserve(refs.size());
  for (const ScoredRef& r : refs) out.push_back({r.score, *r.member});
  return out;
}

std::size_t zset_size(const KeyValue& v) {
  std::size_t n = v.zset->size();
  for (const auto& [m, c] : *v.zset_scores) n += counting(c) && !v.zset->contains(m) ? 1 : 0;
  return n;
}

std::variant<std::pair<std::int64_t, KeyValue>, CommandError> zset_add(
    KeyValue& v, ReplicaId replica, std::span<const std::string> members,
    std::span<const double> scores) {
  CALM_ASSERT(members.size() == scores.size(), "a score for each member");
  const Type type = type_of(v);
  if (type != Type::none && type != Type::zset) return wrong_type;
  const std::vector<std::size_t> keys = sorted_unique(members, 1);
  if (keys.size() > std::numeric_limits<std::uint64_t>::max() - v.zset->context().max(replica)) {
    return out_of_dots;
  }
  std::int64_t added = 0;  // members with neither writes nor a counter that counts
  KeyValue delta;
  delta.zset = write_keys(
      *v.zset, replica, members, keys, [&](std::size_t i) { return scores[i]; },
      [&](std::size_t i) { added += counting_field(*v.zset_scores, members[i]) ? 0 : 1; });
  delta.zset_scores = taken_counters(*v.zset_scores, members, keys);
  if (!delta.zset_scores->empty()) v.zset_scores.merge(delta.zset_scores);
  v.zset.merge(delta.zset);
  return std::pair{added, std::move(delta)};
}

std::variant<std::pair<double, KeyValue>, CommandError> zset_increment(KeyValue& v,
                                                                       ReplicaId replica,
                                                                       const std::string& member,
                                                                       double n) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::zset) return wrong_type;
  const std::optional<double> current = zset_score(v, member);
  const double next = current.value_or(0.0) + n;
  if (std::isnan(next)) return score_is_nan;
  ScoreCounter counter =
      v.zset_scores->contains(member) ? v.zset_scores->get(member) : ScoreCounter{};
  const double before = sum_at(n >= 0 ? counter.up : counter.down, replica);
  const double sum = before + std::fabs(n);
  if ((n == 0 && !current) || !std::isfinite(next) || !std::isfinite(sum) ||
      sum - before != std::fabs(n)) {
    // The counter cannot hold this increment exactly (an infinity could never be taken away,
    // inf - inf; a replica's sum may have grown so large that n is lost in it), or there is
    // nothing to count (ZINCRBY 0 of a new member): the score is written, as ZADD does.
    auto written = zset_add(v, replica, std::span(&member, 1), std::span(&next, 1));
    if (auto* e = std::get_if<CommandError>(&written)) return *e;
    return std::pair{next, std::move(std::get<0>(written).second)};
  }
  KeyValue delta;
  if (n != 0) {
    ScoreCounter d;
    (n >= 0 ? d.up : d.down).merge_at(replica, lat::Max<double>(sum));
    delta.zset_scores.mutable_value().merge_at(member, d);
    v.zset_scores.mutable_value().merge_at(member, std::move(d));
  }
  // What the member now reads as (its counter's sum may round differently from next).
  return std::pair{scored(v, member), std::move(delta)};
}

std::variant<std::pair<std::int64_t, KeyValue>, CommandError> zset_remove(
    KeyValue& v, std::span<const std::string> members) {
  const Type type = type_of(v);
  if (type != Type::none && type != Type::zset) return wrong_type;
  std::vector<std::size_t> present;
  for (std::size_t i : sorted_unique(members, 1)) {
    if (zset_score(v, members[i])) present.push_back(i);
  }
  KeyValue delta;
  const auto removed = static_cast<std::int64_t>(present.size());
  if (removed == 0) return std::pair{removed, std::move(delta)};
  delta.zset_scores = taken_counters(*v.zset_scores, members, present);
  if (!delta.zset_scores->empty()) v.zset_scores.merge(delta.zset_scores);
  if (auto seen = remove_keys(*v.zset, members, present)) {
    delta.zset = std::move(*seen);
    v.zset.merge(delta.zset);
  }
  return std::pair{removed, std::move(delta)};
}

}  // namespace calm::apps::kvs
