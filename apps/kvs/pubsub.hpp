#pragma once
/// Pub/Sub: who listens to which channel and pattern on this replica, and delivery of a
/// message to them (SUBSCRIBE, PSUBSCRIBE, PUBLISH, PUBSUB; docs/kvs.md, "Pub/Sub").
///
/// Fire and forget, as in Redis: a message goes to the connections subscribed at the moment
/// it is published, and to nobody later. The server also hands every PUBLISH to its peers,
/// whose subscribers get it the same way (at most once; lost when a peer is unreachable).
/// No I/O here: a subscriber is anything that takes the bytes of a push.
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace calm::apps::kvs {

/// A connection that can be sent pushes (the server's client; a test's recorder).
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  /// One push, as RESP2 writes it: a "message" or "pmessage" array of bulks (a RESP3
  /// connection sends it with '>' in place of its first byte, '*').
  virtual void deliver(std::string_view bytes) = 0;
};

class PubSub {
 public:
  /// Channels and patterns one connection may hold at once (Redis has no bound; each costs
  /// memory, and every pattern costs each PUBLISH a match).
  static constexpr std::size_t subscriptions_max = 65536;

  /// Each returns the subscriber's count of channels and patterns after the change.
  std::size_t subscribe(Subscriber& s, const std::string& channel);
  std::size_t unsubscribe(Subscriber& s, const std::string& channel);
  std::size_t psubscribe(Subscriber& s, const std::string& pattern);
  std::size_t punsubscribe(Subscriber& s, const std::string& pattern);
  /// The subscriber's channels (patterns), sorted.
  std::vector<std::string> channels_of(const Subscriber& s) const;
  std::vector<std::string> patterns_of(const Subscriber& s) const;
  std::size_t count(const Subscriber& s) const;
  /// (channels, patterns) the subscriber holds.
  std::pair<std::size_t, std::size_t> held_counts(const Subscriber& s) const;
  /// Whether the subscriber holds the channel (pattern, with `pattern`).
  bool holds(const Subscriber& s, const std::string& name, bool pattern) const;
  /// Forgets the subscriber (its connection closed).
  void remove(Subscriber& s);

  /// Delivers `message` to the subscribers of `channel`, then to those of each pattern that
  /// matches it (a connection with both gets both), and returns how many pushes it made.
  std::size_t publish(std::string_view channel, std::string_view message);

  /// PUBSUB CHANNELS: the channels with a subscriber, matching `pattern` (all when null),
  /// sorted.
  std::vector<std::string> active_channels(const std::string* pattern) const;
  /// PUBSUB NUMSUB: the subscribers of one channel.
  std::size_t subscribers(const std::string& channel) const;
  /// PUBSUB NUMPAT: patterns subscribed, counted once per subscriber holding them.
  std::size_t pattern_subscriptions() const { return pattern_subscriptions_; }
  std::size_t channel_count() const { return by_channel_.size(); }

 private:
  struct Held {
    std::set<std::string> channels;
    std::set<std::string> patterns;
  };
  std::unordered_map<std::string, std::set<Subscriber*>> by_channel_;
  std::map<std::string, std::set<Subscriber*>> by_pattern_;
  std::unordered_map<const Subscriber*, Held> held_;
  std::size_t pattern_subscriptions_ = 0;
};

/// A peer's PUBLISH on the wire: the channel's length (4 bytes, little endian), the channel,
/// the message. decode_published returns false for bytes that are not one.
std::string encode_published(std::string_view channel, std::string_view message);
bool decode_published(std::string_view bytes, std::string_view& channel, std::string_view& message);

}  // namespace calm::apps::kvs
