// Sorted sets: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK ZRANGE
// ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYSCORE
// ZREMRANGEBYRANK ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZRANDMEMBER ZSCAN, on the sorted-set CRDT
// (value.hpp: add-wins members, scores written by ZADD and counted by ZINCRBY).
//
// A read gathers the members with their scores (zset_refs, no copies): O(n) for n members, and
// orders only what it returns (ranks by selection, O(n + k log k) for k of them; BYLEX and
// ZSCAN sort all, O(n log n)). ZADD's NX, XX, GT and LT decide on the current score and need
// agreement (CommandProcessor::describe routes them to the log); ZPOPMIN and ZPOPMAX take what this
// replica sees, at least once, as LPOP does (docs/kvs.md).
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kvs/commands/handlers.hpp"

namespace calm::apps::kvs::handlers {

namespace {

/// Redis's getDoubleFromObject: the whole word as strtod reads it (so "0x10" and "inf" are
/// numbers), no leading space, no NaN, no overflow or underflow to an infinity or zero.
std::optional<double> parse_score(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || std::isnan(value)) return std::nullopt;
  if (errno == ERANGE && (std::isinf(value) || value == 0)) return std::nullopt;
  return value + 0.0;  // -0 reads as 0, as a small sorted set in Redis keeps it
}
std::optional<double> score_argument(Ctx& c, const std::string& text) {
  auto score = parse_score(text);
  if (!score) c.out.error("ERR value is not a valid float");
  return score;
}

/// A score as Redis replies with it in RESP2 (addReplyDouble): "inf", "-inf", or %.17g.
std::string score_text(double score) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", score);
  return std::string(buf, static_cast<std::size_t>(n));
}

/// One end of a BYSCORE range: "(" makes it exclusive; "-inf" and "+inf" are numbers.
struct ScoreBound {
  double value = 0;
  bool exclusive = false;
};
/// Redis's zslParseRange for one end: strtod up to the first NUL, which must end the word.
std::optional<ScoreBound> parse_score_bound(const std::string& text) {
  ScoreBound b;
  const char* start = text.c_str();
  if (start[0] == '(') {
    b.exclusive = true;
    ++start;
  }
  char* end = nullptr;
  b.value = std::strtod(start, &end);
  if (*end != '\0' || std::isnan(b.value)) return std::nullopt;
  return b;
}
struct ScoreRange {
  ScoreBound min, max;
  bool above_min(double s) const { return min.exclusive ? s > min.value : s >= min.value; }
  bool below_max(double s) const { return max.exclusive ? s < max.value : s <= max.value; }
};

/// One end of a BYLEX range: "-" and "+" are the least and greatest strings; "[" and "("
/// begin an inclusive and an exclusive member.
struct LexBound {
  enum class Kind { least, greatest, member } kind = Kind::member;
  std::string member;
  bool exclusive = false;
};
std::optional<LexBound> parse_lex_bound(const std::string& text) {
  LexBound b;
  const char first = text.empty() ? '\0' : text[0];
  if (first == '+' || first == '-') {
    if (text.size() > 1 && text[1] != '\0') return std::nullopt;  // C-string rules, as Redis
    b.kind = first == '+' ? LexBound::Kind::greatest : LexBound::Kind::least;
    return b;
  }
  if (first != '(' && first != '[') return std::nullopt;
  b.exclusive = first == '(';
  b.member = text.substr(1);
  return b;
}
struct LexRange {
  LexBound min, max;
  bool above_min(const std::string& m) const {
    if (min.kind != LexBound::Kind::member) return min.kind == LexBound::Kind::least;
    return min.exclusive ? m > min.member : m >= min.member;
  }
  bool below_max(const std::string& m) const {
    if (max.kind != LexBound::Kind::member) return max.kind == LexBound::Kind::greatest;
    return max.exclusive ? m < max.member : m <= max.member;
  }
};

std::optional<ScoreRange> score_range(Ctx& c, const std::string& min, const std::string& max) {
  const auto lo = parse_score_bound(min);
  const auto hi = parse_score_bound(max);
  if (!lo || !hi) {
    c.out.error("ERR min or max is not a float");
    return std::nullopt;
  }
  return ScoreRange{*lo, *hi};
}
std::optional<LexRange> lex_range(Ctx& c, const std::string& min, const std::string& max) {
  auto lo = parse_lex_bound(min);
  auto hi = parse_lex_bound(max);
  if (!lo || !hi) {
    c.out.error("ERR min or max not valid string range item");
    return std::nullopt;
  }
  return LexRange{std::move(*lo), std::move(*hi)};
}

using Refs = std::vector<ScoredRef>;

/// The key's members with their scores, in no order (zset_refs), or nothing after WRONGTYPE;
/// empty when the key is absent. O(n) for n members; valid until the key is written.
std::optional<Refs> refs_of(Ctx& c, const std::string& key) {
  const KeyValue* v = nullptr;
  if (!c.of_type(key, Type::zset, v)) return std::nullopt;
  return v ? zset_refs(*v) : Refs{};
}

/// The members of ranks [first, end) (first <= end <= n), in Redis's order: O(n + k log k) for
/// k = end - first, not a sort of all n.
Refs by_rank(Refs refs, std::size_t first, std::size_t end) {
  if (first >= end) return {};
  const auto b = refs.begin();
  if (first > 0) std::nth_element(b, b + static_cast<std::ptrdiff_t>(first), refs.end());
  std::partial_sort(b + static_cast<std::ptrdiff_t>(first), b + static_cast<std::ptrdiff_t>(end),
                    refs.end());
  return Refs(b + static_cast<std::ptrdiff_t>(first), b + static_cast<std::ptrdiff_t>(end));
}

/// The members whose scores are in the range, in Redis's order (reversed: highest first):
/// O(n + k log k) for k of them.
Refs in_score_range(const Refs& refs, const ScoreRange& range, bool reverse) {
  Refs out;
  for (const ScoredRef& r : refs) {
    if (range.above_min(r.score) && range.below_max(r.score)) out.push_back(r);
  }
  std::sort(out.begin(), out.end());
  if (reverse) std::reverse(out.begin(), out.end());
  return out;
}

/// The members a lex range selects, walking as Redis does (the order is the members' only when
/// their scores are equal, as Redis requires for BYLEX): forward, from the first at or above
/// the minimum while at or below the maximum; backward (`reverse`), from the last at or below
/// the maximum while at or above the minimum. In walking order; O(n log n).
Refs lex_walk(Refs refs, const LexRange& range, bool reverse) {
  std::sort(refs.begin(), refs.end());
  Refs out;
  const std::size_t n = refs.size();
  if (!reverse) {
    std::size_t i = 0;
    while (i < n && !range.above_min(*refs[i].member)) ++i;
    for (; i < n && range.below_max(*refs[i].member); ++i) out.push_back(refs[i]);
  } else {
    std::size_t i = n;
    while (i > 0 && !range.below_max(*refs[i - 1].member)) --i;
    for (; i > 0 && range.above_min(*refs[i - 1].member); --i) out.push_back(refs[i - 1]);
  }
  return out;
}

/// The members, each followed by its score when `with_scores`: in RESP3 the score is a double
/// and each pair an array of its own, unless `flat` (ZPOPMIN and ZPOPMAX without a count).
void reply_refs(Ctx& c, const Refs& picked, bool with_scores, bool flat = false) {
  const bool pairs = with_scores && !flat;
  if (pairs) {
    c.out.pairs_header(picked.size());
  } else {
    c.out.array_header(picked.size() * (with_scores ? 2 : 1));
  }
  for (const ScoredRef& r : picked) {
    if (pairs) c.out.pair();
    c.out.bulk(*r.member);
    if (with_scores) c.out.double_text(score_text(r.score));
  }
}

/// The members' names, copied before a write changes the key the refs point into.
std::vector<std::string> names_of(const Refs& refs) {
  std::vector<std::string> out;
  out.reserve(refs.size());
  for (const ScoredRef& r : refs) out.push_back(*r.member);
  return out;
}

/// Removes `members` from the key as one write; how many were there.
std::int64_t remove_members(Ctx& c, const std::string& key, std::span<const std::string> members) {
  if (members.empty()) return 0;
  const auto removed =
      c.write<std::int64_t>(key, [&](KeyValue& kv) { return zset_remove(kv, members); });
  return removed.value.value_or(0);
}

enum class RangeBy { rank, score, lex };

/// The options after ZRANGE's (and its older forms') key, min and max, and what they select.
struct RangeQuery {
  RangeBy by = RangeBy::rank;
  bool reverse = false;
  bool with_scores = false;
  std::int64_t offset = 0;
  std::int64_t limit = -1;  // -1: no limit
};

/// Z[REV]RANGE[BYSCORE|BYLEX] after its options are read (Redis's zrangeGenericCommand): the
/// range's ends are args[2] and args[3], the maximum first for a reverse score or lex range.
void range_command(Ctx& c, RangeQuery q) {
  const std::string& lo = q.reverse && q.by != RangeBy::rank ? c.args[3] : c.args[2];
  const std::string& hi = q.reverse && q.by != RangeBy::rank ? c.args[2] : c.args[3];
  std::optional<std::int64_t> start, stop;
  std::optional<ScoreRange> scores;
  std::optional<LexRange> lex;
  switch (q.by) {
    case RangeBy::rank:
      if (!(start = c.integer(lo)) || !(stop = c.integer(hi))) return;
      break;
    case RangeBy::score:
      if (!(scores = score_range(c, lo, hi))) return;
      break;
    case RangeBy::lex:
      if (!(lex = lex_range(c, lo, hi))) return;
      break;
  }
  const auto refs = refs_of(c, c.args[1]);
  if (!refs) return;
  const std::size_t n = refs->size();
  Refs walk;
  if (q.by == RangeBy::rank) {
    const auto [first, end] = clamp_range(*start, *stop, n);
    // REV counts ranks from the highest: ranks [first, end) from the end are [n - end, n - first).
    walk = q.reverse ? by_rank(*refs, n - end, n - first) : by_rank(*refs, first, end);
    if (q.reverse) std::reverse(walk.begin(), walk.end());
    return reply_refs(c, walk, q.with_scores);
  }
  walk = q.by == RangeBy::score ? in_score_range(*refs, *scores, q.reverse)
                                : lex_walk(*refs, *lex, q.reverse);
  // LIMIT: a negative offset selects nothing; a negative count, everything after the offset.
  Refs picked;
  if (q.offset >= 0) {
    for (std::size_t i = static_cast<std::size_t>(
             std::min<std::uint64_t>(static_cast<std::uint64_t>(q.offset), walk.size()));
         i < walk.size(); ++i) {
      if (q.limit >= 0 && picked.size() >= static_cast<std::uint64_t>(q.limit)) break;
      picked.push_back(walk[i]);
    }
  }
  reply_refs(c, picked, q.with_scores);
}

/// Reads the options from args[4] on, as Redis: `generic` (ZRANGE) also takes BYSCORE, BYLEX
/// and REV. Nothing after an error reply.
std::optional<RangeQuery> range_options(Ctx& c, RangeQuery q, bool generic) {
  bool by_given = false, rev_given = false;
  for (std::size_t j = 4; j < c.args.size(); ++j) {
    const std::string word = c.args[j].size() <= 16 ? lower(c.args[j]) : std::string();
    const std::size_t left = c.args.size() - j - 1;
    if (word == "withscores") {
      q.with_scores = true;
    } else if (word == "limit" && left >= 2) {
      const auto offset = c.integer(c.args[j + 1]);
      if (!offset) return std::nullopt;
      const auto limit = c.integer(c.args[j + 2]);
      if (!limit) return std::nullopt;
      q.offset = *offset;
      q.limit = *limit;
      j += 2;
    } else if (generic && !rev_given && word == "rev") {
      q.reverse = rev_given = true;
    } else if (generic && !by_given && (word == "byscore" || word == "bylex")) {
      q.by = word == "byscore" ? RangeBy::score : RangeBy::lex;
      by_given = true;
    } else {
      c.syntax_error();
      return std::nullopt;
    }
  }
  if (q.limit != -1 && q.by == RangeBy::rank) {
    c.out.error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return std::nullopt;
  }
  if (q.with_scores && q.by == RangeBy::lex) {
    c.out.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return std::nullopt;
  }
  return q;
}

void range_with(Ctx& c, RangeBy by, bool reverse, bool generic) {
  RangeQuery q;
  q.by = by;
  q.reverse = reverse;
  if (auto options = range_options(c, q, generic)) range_command(c, *options);
}

/// ZREMRANGEBY*: the members the range selects, removed as one write.
void remove_range(Ctx& c, RangeBy by) {
  std::optional<std::int64_t> start, stop;
  std::optional<ScoreRange> scores;
  std::optional<LexRange> lex;
  if (by == RangeBy::rank) {
    if (!(start = c.integer(c.args[2])) || !(stop = c.integer(c.args[3]))) return;
  } else if (by == RangeBy::score) {
    if (!(scores = score_range(c, c.args[2], c.args[3]))) return;
  } else if (!(lex = lex_range(c, c.args[2], c.args[3]))) {
    return;
  }
  const auto refs = refs_of(c, c.args[1]);
  if (!refs) return;
  Refs selected;
  if (by == RangeBy::rank) {
    const auto [first, end] = clamp_range(*start, *stop, refs->size());
    selected = by_rank(*refs, first, end);
  } else if (by == RangeBy::score) {
    selected = in_score_range(*refs, *scores, false);
  } else {
    selected = lex_walk(*refs, *lex, false);
  }
  const std::vector<std::string> members = names_of(selected);
  c.out.integer(remove_members(c, c.args[1], members));
}

/// ZPOPMIN and ZPOPMAX: the `count` lowest (highest) members as this replica sees them,
/// removed as one write.
void zpop(Ctx& c, bool lowest) {
  if (c.args.size() > 3) return c.syntax_error();
  std::int64_t count = 1;
  if (c.args.size() == 3) {
    const auto n = parse_int64(c.args[2]);
    if (!n || *n < 0) return c.out.error("ERR value is out of range, must be positive");
    count = *n;
  }
  const auto refs = refs_of(c, c.args[1]);
  if (!refs) return;
  const std::size_t n = refs->size();
  const std::size_t k = std::min<std::uint64_t>(static_cast<std::uint64_t>(count), n);
  Refs picked = lowest ? by_rank(*refs, 0, k) : by_rank(*refs, n - k, n);
  if (!lowest) std::reverse(picked.begin(), picked.end());
  // The reply first: the refs point into the key, which the removal changes.
  reply_refs(c, picked, true, /*flat=*/c.args.size() == 2);
  const std::vector<std::string> members = names_of(picked);
  remove_members(c, c.args[1], members);
}

}  // namespace

namespace {

/// ZADD's options, from args[2] on, up to its first score (`at`).
struct ZaddOptions {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
  std::size_t at = 2;
  bool conditional() const { return nx || xx || gt || lt; }
};
ZaddOptions zadd_options(const Request& args) {
  ZaddOptions o;
  for (; o.at < args.size(); ++o.at) {
    const std::string word = args[o.at].size() <= 4 ? lower(args[o.at]) : std::string();
    if (word == "nx") {
      o.nx = true;
    } else if (word == "xx") {
      o.xx = true;
    } else if (word == "gt") {
      o.gt = true;
    } else if (word == "lt") {
      o.lt = true;
    } else if (word == "ch") {
      o.ch = true;
    } else if (word == "incr") {
      o.incr = true;
    } else {
      break;
    }
  }
  return o;
}
/// Redis's error for the options and the shape of the pairs, or nothing when they are valid.
std::optional<std::string> zadd_error(const Request& args, const ZaddOptions& o) {
  const std::size_t words = args.size() - o.at;
  if (words == 0 || words % 2 != 0) return "ERR syntax error";
  if (o.nx && o.xx) return "ERR XX and NX options at the same time are not compatible";
  if ((o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt)) {
    return "ERR GT, LT, and/or NX options at the same time are not compatible";
  }
  if (o.incr && words > 2) return "ERR INCR option supports a single increment-element pair";
  for (std::size_t i = o.at; i < args.size(); i += 2) {
    if (!parse_score(args[i])) return "ERR value is not a valid float";
  }
  return std::nullopt;
}

}  // namespace

bool zadd_needs_agreement(const Request& args) {
  const ZaddOptions o = zadd_options(args);
  // A request Redis refuses for its words is refused the same way everywhere, without the log.
  return o.conditional() && !zadd_error(args, o);
}

void zadd(Ctx& c) {
  const ZaddOptions o = zadd_options(c.args);
  if (const auto e = zadd_error(c.args, o)) return c.out.error(*e);
  const auto [nx, xx, gt, lt, ch, incr, at] = o;
  if (o.conditional() && !c.linearizable()) return needs_coordination(c, "ZADD NX|XX|GT|LT");
  std::vector<double> scores;
  std::vector<std::string> members;
  for (std::size_t i = at; i < c.args.size(); i += 2) {
    scores.push_back(*parse_score(c.args[i]));  // zadd_error parsed each
    members.push_back(c.args[i + 1]);
  }
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::zset, v)) return;
  for (const std::string& m : members) {
    if (!c.fits(m.size() + sizeof(double))) return;
  }
  if (incr && !nx && !xx && !gt && !lt) {
    auto next = c.write<double>(c.args[1], [&](KeyValue& kv) {
      return zset_increment(kv, c.replica(), members[0], scores[0]);
    });
    if (next.error) return c.error(*next.error);
    return c.out.double_text(score_text(*next.value));
  }
  // Redis's zsetAdd, pair by pair, on what this replica reads: which pairs write, and the reply.
  std::map<std::string, std::optional<double>> current;
  for (const std::string& m : members) {
    if (!current.count(m)) current[m] = v ? zset_score(*v, m) : std::nullopt;
  }
  std::int64_t added = 0, updated = 0;
  bool processed = false;
  double last = 0;
  std::vector<std::string> write_members;
  std::vector<double> write_scores;
  for (std::size_t j = 0; j < members.size(); ++j) {
    std::optional<double>& now = current[members[j]];
    double score = scores[j];
    if (now) {
      if (nx) continue;
      if (incr) {
        score += *now;
        if (std::isnan(score)) return c.error(score_is_nan);
      }
      if ((lt && score >= *now) || (gt && score <= *now)) continue;
      if (score != *now) ++updated;
    } else {
      if (xx) continue;
      ++added;
    }
    now = score;
    last = score;
    processed = true;
    write_members.push_back(members[j]);
    write_scores.push_back(score);
  }
  if (!write_members.empty()) {
    const auto written = c.write<std::int64_t>(c.args[1], [&](KeyValue& kv) {
      return zset_add(kv, c.replica(), write_members, write_scores);
    });
    if (written.error) return c.error(*written.error);
  }
  if (incr) return processed ? c.out.double_text(score_text(last)) : c.out.null_bulk();
  c.out.integer(ch ? added + updated : added);
}

void zincrby(Ctx& c) {
  const auto by = score_argument(c, c.args[2]);
  if (!by) return;
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::zset, v)) return;
  if (!c.fits(c.args[3].size() + sizeof(double))) return;
  auto next = c.write<double>(
      c.args[1], [&](KeyValue& kv) { return zset_increment(kv, c.replica(), c.args[3], *by); });
  if (next.error) return c.error(*next.error);
  c.out.double_text(score_text(*next.value));
}

void zrem(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::zset, v)) return;
  if (!v) return c.out.integer(0);
  c.out.integer(remove_members(c, c.args[1], std::span(c.args.data() + 2, c.args.size() - 2)));
}

void zscore(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::zset, v)) return;
  const auto score = v ? zset_score(*v, c.args[2]) : std::nullopt;
  if (!score) return c.out.null_bulk();
  c.out.double_text(score_text(*score));
}

void zmscore(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::zset, v)) return;
  c.out.array_header(c.args.size() - 2);
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    const auto score = v ? zset_score(*v, c.args[i]) : std::nullopt;
    if (score) {
      c.out.double_text(score_text(*score));
    } else {
      c.out.null_bulk();
    }
  }
}

void zcard(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::zset, v)) return;
  c.out.integer(v ? static_cast<std::int64_t>(zset_size(*v)) : 0);
}

void zcount(Ctx& c) {
  const auto range = score_range(c, c.args[2], c.args[3]);
  if (!range) return;
  const auto refs = refs_of(c, c.args[1]);
  if (!refs) return;
  std::int64_t n = 0;  // O(n), no sort
  for (const ScoredRef& r : *refs) n += range->above_min(r.score) && range->below_max(r.score);
  c.out.integer(n);
}

void zlexcount(Ctx& c) {
  const auto range = lex_range(c, c.args[2], c.args[3]);
  if (!range) return;
  const auto refs = refs_of(c, c.args[1]);
  if (!refs) return;
  c.out.integer(static_cast<std::int64_t>(lex_walk(*refs, *range, false).size()));
}

namespace {
void rank(Ctx& c, bool reverse) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::zset, v)) return;
  const auto score = v ? zset_score(*v, c.args[2]) : std::nullopt;
  if (!score) return c.out.null_bulk();
  // The members before it in Redis's order: O(n), no sort.
  const ScoredRef self{*score, &c.args[2]};
  std::int64_t below = 0, total = 0;
  for (const ScoredRef& r : zset_refs(*v)) {
    ++total;
    below += r < self ? 1 : 0;
  }
  c.out.integer(reverse ? total - 1 - below : below);
}
}  // namespace

void zrank(Ctx& c) { rank(c, false); }
void zrevrank(Ctx& c) { rank(c, true); }

void zrange(Ctx& c) { range_with(c, RangeBy::rank, false, true); }
void zrevrange(Ctx& c) { range_with(c, RangeBy::rank, true, false); }
void zrangebyscore(Ctx& c) { range_with(c, RangeBy::score, false, false); }
void zrevrangebyscore(Ctx& c) { range_with(c, RangeBy::score, true, false); }
void zrangebylex(Ctx& c) { range_with(c, RangeBy::lex, false, false); }
void zrevrangebylex(Ctx& c) { range_with(c, RangeBy::lex, true, false); }
void zremrangebyrank(Ctx& c) { remove_range(c, RangeBy::rank); }
void zremrangebyscore(Ctx& c) { remove_range(c, RangeBy::score); }
void zremrangebylex(Ctx& c) { remove_range(c, RangeBy::lex); }
void zpopmin(Ctx& c) { zpop(c, true); }
void zpopmax(Ctx& c) { zpop(c, false); }

void zrandmember(Ctx& c) {
  random_command(
      c, Type::zset, "withscores",
      [](const KeyValue& v) {
        std::vector<std::string> members;
        for (const ScoredRef& r : zset_refs(v)) members.push_back(*r.member);
        std::sort(members.begin(), members.end());
        return members;
      },
      [](const KeyValue& v, const std::string& m) {
        return score_text(zset_score(v, m).value_or(0));
      },
      /*scores=*/true);
}

void zscan(Ctx& c) {
  const auto cursor = scan_cursor(c, c.args[2]);
  if (!cursor) return;
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::zset, v)) return;
  if (!v) {  // before any option is read, as Redis
    c.out.array_header(2);
    c.out.bulk("0");
    return c.out.array_header(0);
  }
  Refs refs = zset_refs(*v);
  std::sort(refs.begin(), refs.end(),
            [](const ScoredRef& x, const ScoredRef& y) { return *x.member < *y.member; });
  const std::vector<std::string> members = names_of(refs);
  std::map<std::string_view, double> scores;
  for (const ScoredRef& r : refs) scores.emplace(*r.member, r.score);
  scan_items(c, *cursor, members, 2, [&](const std::string& m) {
    c.out.bulk(m);
    c.out.bulk(score_text(scores.at(m)));  // a string in RESP3 too, as Redis's ZSCAN
  });
}

}  // namespace calm::apps::kvs::handlers
