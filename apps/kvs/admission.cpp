#include "kvs/admission.hpp"

namespace calm::apps::kvs {
namespace {

/// The first replica whose dots in `context` pass dot_counter_max, if any.
template <class Context>
std::optional<std::string> dots_refusal(const Context& context, const char* what) {
  std::optional<std::string> refusal;
  context.for_each_range([&](const auto& range) {
    if (refusal || range.last <= dot_counter_max) return;
    refusal = std::string(what) + " claims dot " + std::to_string(range.last) + " of replica " +
              std::to_string(range.replica) + ", above " + std::to_string(dot_counter_max);
  });
  return refusal;
}

template <class GCounter>
std::optional<std::string> totals_refusal(const GCounter& counter, const std::string& what) {
  for (const auto& [replica, total] : counter) {
    if (total.reveal() > counter_total_max) {
      return what + " total " + std::to_string(total.reveal()) + " of replica " +
             std::to_string(replica) + " is above " + std::to_string(counter_total_max);
    }
  }
  return std::nullopt;
}

std::optional<std::string> counter_refusal(const ResettableCounter& c, const std::string& what) {
  for (const auto* half : {&c.total, &c.removed}) {
    if (auto r = totals_refusal(half->increments(), what)) return r;
    if (auto r = totals_refusal(half->decrements(), what)) return r;
  }
  return std::nullopt;
}

}  // namespace

lattices::HlcTimestamp latest_timestamp(const KeyValue& value) { return value.str.timestamp(); }

std::optional<std::string> admission_refusal(const KeyValue& value, std::uint64_t wall_ms) {
  const lattices::HlcTimestamp latest = latest_timestamp(value);
  const std::uint64_t ahead_ms = latest.wall_ms > wall_ms ? latest.wall_ms - wall_ms : 0;
  if (ahead_ms > future_timestamp_ms_max) {
    return "timestamp " + std::to_string(latest.wall_ms) + " ms is " + std::to_string(ahead_ms) +
           " ms ahead of this replica's clock (at most " +
           std::to_string(future_timestamp_ms_max) + ")";
  }
  if (auto r = dots_refusal(value.set.context(), "the set's context")) return r;
  if (auto r = dots_refusal(value.hash.context(), "the hash's context")) return r;
  if (auto r = counter_refusal(value.counter, "the counter's")) return r;
  for (const auto& [field, counter] : value.hash_counters) {
    (void)field;  // named in no reason: a field can be long and hold any bytes
    if (auto r = counter_refusal(counter, "a hash field counter's")) return r;
  }
  return std::nullopt;
}

}  // namespace calm::apps::kvs
