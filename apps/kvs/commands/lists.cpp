// Lists: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LPOS LSET LINSERT LREM LTRIM
// LMOVE RPOPLPUSH, on the sequence CRDT (List<string>, value.hpp).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kvs/commands/handlers.hpp"
#include "lattices/assert.hpp"

namespace calm::apps::kvs::handlers {

namespace {

/// One write of a list key that inserts `values` (in list order) at the front or the back:
/// the new length, or an error that changed nothing.
Outcome<std::int64_t> push_values(Ctx& c, const std::string& key, bool front,
                                  std::vector<std::string> values) {
  return c.write<std::int64_t>(
      key, [&](KeyValue& kv) -> std::variant<std::pair<std::int64_t, KeyValue>, CommandError> {
        const std::size_t pos = front ? 0 : kv.list->size();
        auto inserted = list_insert(kv, c.replica(), pos, std::move(values));
        if (auto* e = std::get_if<CommandError>(&inserted)) return *e;
        return std::pair{static_cast<std::int64_t>(kv.list->size()),
                         std::move(std::get<KeyValue>(inserted))};
      });
}
/// LPUSH, RPUSH, LPUSHX and RPUSHX: the values as one run, so a pipeline of pushes by one
/// client stays one piece of the list.
void push(Ctx& c, bool front, bool only_if_present) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (only_if_present && !v) return c.out.integer(0);
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    if (!c.fits(c.args[i].size())) return;
  }
  std::vector<std::string> values(c.args.begin() + 2, c.args.end());
  if (front) std::reverse(values.begin(), values.end());  // LPUSH a b c reads c b a
  const auto outcome = push_values(c, c.args[1], front, std::move(values));
  if (outcome.error) return c.error(*outcome.error);
  c.out.integer(*outcome.value);
}

}  // namespace

void lpush(Ctx& c) { push(c, true, false); }
void rpush(Ctx& c) { push(c, false, false); }
void lpushx(Ctx& c) { push(c, true, true); }
void rpushx(Ctx& c) { push(c, false, true); }

namespace {

/// Takes up to `n` elements off the front or the back of a list key (present, a list); returns
/// them in the order they came off.
std::vector<std::string> take(Ctx& c, const std::string& key, bool front, std::size_t n) {
  const KeyValue* v = c.find(key);
  if (!v) return {};  // callers looked it up in this command, at its one instant: not reached
  const std::size_t size = v->list->size();
  n = std::min(n, size);
  if (n == 0) return {};  // LPOP k 0: no write (on a linearizable key it would abort a WATCH)
  const std::size_t first = front ? 0 : size - n;
  std::vector<std::string> taken = list_range(*v, first, first + n);
  if (!front) std::reverse(taken.begin(), taken.end());
  c.keys().write(key, [&](KeyValue& kv) { return list_erase(kv, first, n); });
  return taken;
}
/// LPOP and RPOP, with Redis's replies: a bulk without a count, an array with one.
void pop(Ctx& c, bool front) {
  if (c.args.size() > 3) return c.arity_error();
  std::optional<std::int64_t> count;
  if (c.args.size() == 3) {
    count = parse_int64(c.args[2]);
    if (!count || *count < 0) return c.out.error("ERR value is out of range, must be positive");
  }
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return count ? c.out.null_array() : c.out.null_bulk();
  const std::vector<std::string> taken =
      take(c, c.args[1], front, count ? static_cast<std::size_t>(*count) : 1);
  if (!count) return c.out.bulk(taken.front());
  c.out.array_header(taken.size());
  for (const std::string& x : taken) c.out.bulk(x);
}

}  // namespace

void lpop(Ctx& c) { pop(c, true); }
void rpop(Ctx& c) { pop(c, false); }

namespace {

/// Visits the first `window` values of a list (`forward`) or its last `window` from the back,
/// calling f(position, value) until f returns false. A chunk at a time and by reference: a
/// search that stops early reads at most about twice as far as its stop, and copies nothing. Chunks
/// double from 256 up to 65,536 elements: each starts with a walk to its first element (from
/// the list's last edit, over its leaves), so a search of the whole list makes O(log n + n /
/// 65,536) such walks, not n / 256 (found in review: quadratic on a list of 1M pieces), and
/// holds at most 512 KiB of pointers.
template <class F>
void search_list(const KeyValue& v, bool forward, std::size_t window, F f) {
  constexpr std::size_t chunk_first = 256, chunk_max = 65536;
  const std::size_t size = v.list->size();
  window = std::min(window, size);
  std::vector<const std::string*> values;
  std::size_t chunk = chunk_first;
  for (std::size_t done = 0; done < window; chunk = std::min(2 * chunk, chunk_max)) {
    const std::size_t n = std::min(chunk, window - done);
    const std::size_t first = forward ? done : size - done - n;
    values.clear();
    v.list->for_each(first, first + n, [&](const std::string& x) { values.push_back(&x); });
    CALM_ASSERT(values.size() == n, "a chunk within the list's size is whole");
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = forward ? k : n - 1 - k;
      if (!f(first + i, *values[i])) return;
    }
    done += n;
  }
}

}  // namespace

void llen(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  c.out.integer(v ? static_cast<std::int64_t>(v->list->size()) : 0);
}

namespace {

/// LRANGE's and LTRIM's arguments: the list (null when absent) and [first, end) by position;
/// nothing, after the reply, when they are not integers or the key is of another type.
struct ListRange {
  const KeyValue* list = nullptr;
  std::size_t first = 0, end = 0;
};
std::optional<ListRange> range_arguments(Ctx& c) {
  const auto start = c.integer(c.args[2]);
  if (!start) return std::nullopt;
  const auto stop = c.integer(c.args[3]);
  if (!stop) return std::nullopt;
  ListRange r;
  if (!c.of_type(c.args[1], Type::list, r.list)) return std::nullopt;
  if (r.list) std::tie(r.first, r.end) = clamp_range(*start, *stop, r.list->list->size());
  return r;
}

}  // namespace

void lrange(Ctx& c) {
  const auto r = range_arguments(c);
  if (!r) return;
  c.out.array_header(r->end - r->first);
  if (r->list) {
    r->list->list->for_each(r->first, r->end, [&](const std::string& x) { c.out.bulk(x); });
  }
}
void lindex(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return c.out.null_bulk();  // before the index, as Redis
  const auto index = c.integer(c.args[2]);
  if (!index) return;
  const std::int64_t at = from_end(*index, v->list->size());
  if (at < 0 || at >= static_cast<std::int64_t>(v->list->size())) return c.out.null_bulk();
  c.out.bulk(v->list->at(static_cast<std::size_t>(at)));
}
void lset(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return c.out.error("ERR no such key");
  const auto index = c.integer(c.args[2]);
  if (!index) return;
  const std::int64_t at = from_end(*index, v->list->size());
  if (at < 0 || at >= static_cast<std::int64_t>(v->list->size())) {
    return c.out.error("ERR index out of range");
  }
  if (!c.fits(c.args[3].size())) return;
  const auto pos = static_cast<std::size_t>(at);
  // The element goes and a new one takes its place: a concurrent LSET of the same index at
  // another replica leaves both values (docs/kvs.md).
  const auto outcome = c.write<bool>(
      c.args[1], [&](KeyValue& kv) -> std::variant<std::pair<bool, KeyValue>, CommandError> {
        auto inserted = list_insert(kv, c.replica(), pos + 1, {c.args[3]});
        if (auto* e = std::get_if<CommandError>(&inserted)) return *e;
        KeyValue delta = std::move(std::get<KeyValue>(inserted));
        lattices::merge(delta, list_erase(kv, pos, 1));
        return std::pair{true, std::move(delta)};
      });
  if (outcome.error) return c.error(*outcome.error);
  c.out.simple("OK");
}
void linsert(Ctx& c) {
  const std::string where = upper(c.args[2]);
  if (where != "BEFORE" && where != "AFTER") return c.syntax_error();
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return c.out.integer(0);
  std::size_t index = 0;
  bool found = false;
  search_list(*v, true, SIZE_MAX, [&](std::size_t at, const std::string& x) {
    found = x == c.args[3];
    index = at;
    return !found;  // the first match, as Redis: the rest of the list is not read
  });
  if (!found) return c.out.integer(-1);
  if (!c.fits(c.args[4].size())) return;
  const auto outcome = c.write<std::int64_t>(
      c.args[1],
      [&](KeyValue& kv) -> std::variant<std::pair<std::int64_t, KeyValue>, CommandError> {
        auto inserted =
            list_insert(kv, c.replica(), where == "BEFORE" ? index : index + 1, {c.args[4]});
        if (auto* e = std::get_if<CommandError>(&inserted)) return *e;
        return std::pair{static_cast<std::int64_t>(kv.list->size()),
                         std::move(std::get<KeyValue>(inserted))};
      });
  if (outcome.error) return c.error(*outcome.error);
  c.out.integer(*outcome.value);
}
void lrem(Ctx& c) {
  const auto count = c.integer(c.args[2]);
  if (!count) return;
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return c.out.integer(0);
  std::vector<std::size_t> matches;
  std::size_t i = 0;
  v->list->for_each([&](const std::string& x) {
    if (x == c.args[3]) matches.push_back(i);
    ++i;
  });
  // |count| matches from the head (count > 0) or the tail (count < 0), or all of them.
  const std::uint64_t limit = *count == 0  ? matches.size()
                              : *count > 0 ? static_cast<std::uint64_t>(*count)
                                           : std::uint64_t{0} - static_cast<std::uint64_t>(*count);
  if (matches.size() > limit) {
    if (*count > 0) {
      matches.resize(limit);
    } else {
      matches.erase(matches.begin(), matches.end() - static_cast<std::ptrdiff_t>(limit));
    }
  }
  if (matches.empty()) return c.out.integer(0);
  c.keys().write(c.args[1], [&](KeyValue& kv) { return list_erase_each(kv, matches); });
  c.out.integer(static_cast<std::int64_t>(matches.size()));
}
void ltrim(Ctx& c) {
  const auto r = range_arguments(c);
  if (!r) return;
  if (r->list) {
    const std::size_t size = r->list->list->size();
    if (r->first > 0 || r->end < size) {
      c.keys().write(c.args[1], [&](KeyValue& kv) {
        KeyValue delta = list_erase(kv, r->end, size - r->end);
        lattices::merge(delta, list_erase(kv, 0, r->first));
        return delta;
      });
    }
  }
  c.out.simple("OK");
}
/// LPOS key element [RANK rank] [COUNT count] [MAXLEN len].
void lpos(Ctx& c) {
  std::int64_t rank = 1, maxlen = 0;
  std::optional<std::int64_t> count;
  for (std::size_t i = 3; i < c.args.size(); i += 2) {
    const std::string option = upper(c.args[i]);
    if (i + 1 >= c.args.size() || (option != "RANK" && option != "COUNT" && option != "MAXLEN")) {
      return c.syntax_error();
    }
    // Redis answers a COUNT or MAXLEN that is no integer with its "can't be negative" text.
    // RANK's LLONG_MIN gets Redis 7.2's answer (7.0 negates it, overflowing).
    const auto n = option == "RANK" ? c.signed_count(c.args[i + 1]) : parse_int64(c.args[i + 1]);
    if (!n && option == "RANK") return;
    if (option == "RANK") {
      if (*n == 0) {
        return c.out.error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
      }
      rank = *n;
    } else if (option == "COUNT") {
      if (!n || *n < 0) return c.out.error("ERR COUNT can't be negative");
      count = *n;
    } else {
      if (!n || *n < 0) return c.out.error("ERR MAXLEN can't be negative");
      maxlen = *n;
    }
  }
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  std::vector<std::int64_t> found;
  if (v) {
    // At most MAXLEN elements from the end the search starts at, and none past the last
    // match it wants.
    const bool forward = rank > 0;
    const std::size_t window = maxlen == 0 ? SIZE_MAX : static_cast<std::uint64_t>(maxlen);
    std::int64_t skip = (forward ? rank : -rank) - 1;
    const std::uint64_t wanted = !count        ? 1
                                 : *count == 0 ? UINT64_MAX
                                               : static_cast<std::uint64_t>(*count);
    search_list(*v, forward, window, [&](std::size_t at, const std::string& x) {
      if (x != c.args[2]) return true;
      if (skip > 0) {
        --skip;
        return true;
      }
      found.push_back(static_cast<std::int64_t>(at));
      return found.size() < wanted;
    });
  }
  if (!count) return found.empty() ? c.out.null_bulk() : c.out.integer(found.front());
  c.out.array_header(found.size());
  for (const std::int64_t at : found) c.out.integer(at);
}

namespace {

/// LMOVE and RPOPLPUSH: an element off one end of `from` onto one end of `to`. On a
/// coordination-free key two replicas may move the same element concurrently: it is then
/// pushed twice (at least once, as the POPs).
void move_element(Ctx& c, bool from_front, bool to_front) {
  const std::string &from = c.args[1], &to = c.args[2];
  const KeyValue* source = nullptr;
  if (!c.of_type(from, Type::list, source)) return;
  if (!source) return c.out.null_bulk();
  const KeyValue* destination = nullptr;
  if (!c.of_type(to, Type::list, destination)) return;
  if (from == to && source->list->size() == 1 && !c.linearizable()) {
    // The element comes back where it was: nothing changes (popped and pushed as two writes,
    // the key would be emptied in between, and an emptied coordination-free key loses its
    // TTL). A linearizable key keeps its TTL apart, and its write counts for WATCH.
    return c.out.bulk(list_range(*source, 0, 1).front());
  }
  std::string value = take(c, from, from_front, 1).front();
  const auto outcome = push_values(c, to, to_front, {value});
  if (outcome.error) return c.error(*outcome.error);
  c.out.bulk(value);
}

}  // namespace

void lmove(Ctx& c) {
  const std::string from = upper(c.args[3]), to = upper(c.args[4]);
  const auto side = [](const std::string& w) { return w == "LEFT" || w == "RIGHT"; };
  if (!side(from) || !side(to)) return c.syntax_error();
  move_element(c, from == "LEFT", to == "LEFT");
}
void rpoplpush(Ctx& c) { move_element(c, false, true); }

}  // namespace calm::apps::kvs::handlers
