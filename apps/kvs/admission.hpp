#pragma once
/// What a calm-kvs replica accepts from its peers: the admission rule its replica applies to
/// every received KeyValue before merging it (anti_entropy::Admission), and the timestamps a
/// received value carries, which its hybrid clock takes in.
///
/// An authenticated peer can still be faulty (a bug, a bad clock, a corrupted disk), and one
/// merged value reaches every replica. So a value is refused when it holds
///   - a hybrid-clock timestamp more than `future_timestamp_ms_max` ahead of this replica's
///     wall clock: merged, it would win every later write of the key until the clocks caught
///     up (a timestamp 10 years ahead froze a key: SET and DEL replied OK and changed nothing);
///   - a dot counter above `dot_counter_max`, in any causal context (the set's, the hash's,
///     which also covers the hash's field registers): the next write of that replica would
///     have no fresh dot, and a context claiming dots up to 2^64-1 made the next SADD throw;
///   - a decimal counter's net (INCRBYFLOAT's) that is no plain decimal number (kvs/decimal.hpp:
///     at most decimal_digits_max digits, no infinity), which reads would have to take as 0,
///     or whose count is above `dot_counter_max` (the replica's next INCRBYFLOAT would have no
///     count left);
/// Counter totals need no bound here: reads sum them exactly in 128 bits, and a replica's own
/// increment that would pass its uint64 total is refused where it is made (value.hpp). A peer
/// that claims this replica's total near 2^64 - 1 can make its INCRs on that key answer the
/// overflow error, which any member could also do by counting.
/// Each check walks the value's encoding once (contexts by range, never by dot).
///
/// A refused value refuses its whole frame (Replica<L>): the frame is not merged nor
/// acknowledged, and is counted (INFO's `peer_values_refused`). The bounds are the same at
/// every replica, so a value one replica refuses is refused by all and cannot spread.
#include <cstdint>
#include <optional>
#include <string>

#include "kvs/value.hpp"
#include "lattices/hybrid_clock.hpp"

namespace calm::apps::kvs {

/// How far ahead of the local wall clock a received timestamp may be: 5 minutes. Clocks of
/// the replicas must agree within it (NTP keeps them within milliseconds); a replica whose
/// clock runs further ahead has its writes refused, and counted, by the others.
inline constexpr std::uint64_t future_timestamp_ms_max = 5 * 60 * 1000;
/// The largest dot counter a received context may hold: 2^62. One dot per write, so no honest
/// replica gets near it (2^62 writes at a billion a second take 146 years), and 2^62 more
/// dots are left after it.
inline constexpr std::uint64_t dot_counter_max = std::uint64_t{1} << 62;

/// Nothing when a peer's `value` may be merged at wall time `wall_ms` (ms since the Unix
/// epoch), else why not.
std::optional<std::string> admission_refusal(const KeyValue& value, std::uint64_t wall_ms);

/// The largest hybrid-clock timestamp the value carries ({0, 0} when none).
lattices::HlcTimestamp latest_timestamp(const KeyValue& value);

}  // namespace calm::apps::kvs
