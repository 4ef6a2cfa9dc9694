#include "kvs/pubsub.hpp"

#include <algorithm>
#include <cstdint>

#include "kvs/commands.hpp"  // glob_match
#include "kvs/resp.hpp"
#include "lattices/assert.hpp"

namespace calm::apps::kvs {
std::size_t PubSub::subscribe(Subscriber& s, const std::string& channel) {
  Held& held = held_[&s];
  if (held.channels.insert(channel).second) by_channel_[channel].insert(&s);
  return held.channels.size() + held.patterns.size();
}

std::size_t PubSub::unsubscribe(Subscriber& s, const std::string& channel) {
  const auto it = held_.find(&s);
  if (it == held_.end()) return 0;
  if (it->second.channels.erase(channel) > 0) {
    auto& set = by_channel_[channel];
    set.erase(&s);
    if (set.empty()) by_channel_.erase(channel);
  }
  const std::size_t left = it->second.channels.size() + it->second.patterns.size();
  if (left == 0) held_.erase(it);
  return left;
}

std::size_t PubSub::psubscribe(Subscriber& s, const std::string& pattern) {
  Held& held = held_[&s];
  if (held.patterns.insert(pattern).second) {
    by_pattern_[pattern].insert(&s);
    ++pattern_subscriptions_;
  }
  return held.channels.size() + held.patterns.size();
}

std::size_t PubSub::punsubscribe(Subscriber& s, const std::string& pattern) {
  const auto it = held_.find(&s);
  if (it == held_.end()) return 0;
  if (it->second.patterns.erase(pattern) > 0) {
    auto& set = by_pattern_[pattern];
    set.erase(&s);
    if (set.empty()) by_pattern_.erase(pattern);
    --pattern_subscriptions_;
  }
  const std::size_t left = it->second.channels.size() + it->second.patterns.size();
  if (left == 0) held_.erase(it);
  return left;
}

std::vector<std::string> PubSub::channels_of(const Subscriber& s) const {
  const auto it = held_.find(&s);
  if (it == held_.end()) return {};
  return {it->second.channels.begin(), it->second.channels.end()};
}
std::vector<std::string> PubSub::patterns_of(const Subscriber& s) const {
  const auto it = held_.find(&s);
  if (it == held_.end()) return {};
  return {it->second.patterns.begin(), it->second.patterns.end()};
}
std::size_t PubSub::count(const Subscriber& s) const {
  const auto it = held_.find(&s);
  return it == held_.end() ? 0 : it->second.channels.size() + it->second.patterns.size();
}

std::pair<std::size_t, std::size_t> PubSub::held_counts(const Subscriber& s) const {
  const auto it = held_.find(&s);
  if (it == held_.end()) return {0, 0};
  return {it->second.channels.size(), it->second.patterns.size()};
}

bool PubSub::holds(const Subscriber& s, const std::string& name, bool pattern) const {
  const auto it = held_.find(&s);
  if (it == held_.end()) return false;
  return (pattern ? it->second.patterns : it->second.channels).count(name) > 0;
}

void PubSub::remove(Subscriber& s) {
  for (const std::string& channel : channels_of(s)) unsubscribe(s, channel);
  for (const std::string& pattern : patterns_of(s)) punsubscribe(s, pattern);
  CALM_ASSERT(held_.find(&s) == held_.end(), "a removed subscriber holds nothing");
}

std::size_t PubSub::publish(std::string_view channel, std::string_view message) {
  std::size_t pushes = 0;
  std::string bytes;
  const auto channel_it = by_channel_.find(std::string(channel));
  if (channel_it != by_channel_.end()) {
    ReplyWriter out(bytes);
    out.array_header(3);
    out.bulk("message");
    out.bulk(channel);
    out.bulk(message);
    // A copy: a delivery may close its connection, which unsubscribes it from this set.
    const std::vector<Subscriber*> to(channel_it->second.begin(), channel_it->second.end());
    for (Subscriber* s : to) s->deliver(bytes);
    pushes += to.size();
  }
  std::vector<std::pair<std::string, std::vector<Subscriber*>>> matched;
  for (const auto& [pattern, subscribers] : by_pattern_) {
    if (glob_match(pattern, channel)) {
      matched.emplace_back(pattern,
                           std::vector<Subscriber*>(subscribers.begin(), subscribers.end()));
    }
  }
  for (const auto& [pattern, to] : matched) {
    bytes.clear();
    ReplyWriter out(bytes);
    out.array_header(4);
    out.bulk("pmessage");
    out.bulk(pattern);
    out.bulk(channel);
    out.bulk(message);
    for (Subscriber* s : to) s->deliver(bytes);
    pushes += to.size();
  }
  return pushes;
}

std::vector<std::string> PubSub::active_channels(const std::string* pattern) const {
  std::vector<std::string> out;
  for (const auto& entry : by_channel_) {
    if (!pattern || glob_match(*pattern, entry.first)) out.push_back(entry.first);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t PubSub::subscribers(const std::string& channel) const {
  const auto it = by_channel_.find(channel);
  return it == by_channel_.end() ? 0 : it->second.size();
}

}  // namespace calm::apps::kvs
