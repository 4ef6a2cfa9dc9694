#include "kvs/admission.hpp"

#include "kvs/decimal.hpp"

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

/// Why a counter's decimal nets cannot be merged, if they cannot (`where` names the counter).
std::optional<std::string> nets_refusal(const ResettableCounter& c, const std::string& where) {
  for (const auto* nets : {&c.decimals, &c.decimals_removed}) {
    for (const auto& [replica, net] : *nets) {
      const auto& [count, text] = net.reveal();
      if (!Decimal::parse(text)) {
        return where + " holds a decimal net of replica " + std::to_string(replica) +
               " that is no decimal number";
      }
      if (count > dot_counter_max) {  // the replica's next INCRBYFLOAT would have no count
        return where + " holds a decimal net of replica " + std::to_string(replica) +
               " counted past " + std::to_string(dot_counter_max);
      }
    }
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
           " ms ahead of this replica's clock (at most " + std::to_string(future_timestamp_ms_max) +
           ")";
  }
  if (auto r = dots_refusal(value.set->context(), "the set's context")) return r;
  if (auto r = dots_refusal(value.hash->context(), "the hash's context")) return r;
  if (auto r = dots_refusal(value.expiry->context(), "the expiry's context")) return r;
  if (auto r = dots_refusal(value.zset->context(), "the sorted set's context")) return r;
  if (auto r = nets_refusal(*value.counter, "the counter")) return r;
  for (const auto& [field, counter] : *value.hash_counters) {
    if (auto r = nets_refusal(counter, "a hash field's counter")) return r;
  }
  return std::nullopt;
}

}  // namespace calm::apps::kvs
