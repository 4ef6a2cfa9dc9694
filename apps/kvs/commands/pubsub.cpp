// Pub/Sub: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB, with Redis 7.0's
// replies. The registry is the server's (kvs/pubsub.hpp); a processor used alone has none,
// and refuses them.
#include "kvs/pubsub.hpp"

#include <string>
#include <vector>

#include "kvs/commands/handlers.hpp"

namespace calm::apps::kvs::handlers {
namespace {

constexpr std::string_view channel_names = "channel names and patterns";

/// Whether the registry and this connection's place in it are there; false (after an error)
/// when either is missing.
bool served(Ctx& c) {
  if (c.facts().pubsub && c.session.subscriber) return true;
  c.out.error("ERR Pub/Sub is served by calm-kvs's server only");
  return false;
}

/// One (un)subscribe confirmation: [kind, name or nil, subscriptions left], a push in RESP3.
void confirm(Ctx& c, std::string_view kind, const std::string* name, std::size_t count) {
  c.out.push_header(3);
  c.out.bulk(kind);
  if (name) {
    c.out.bulk(*name);
  } else {
    c.out.null_bulk();
  }
  c.out.integer(static_cast<std::int64_t>(count));
  c.session.subscriptions = count;
}

/// SUBSCRIBE and PSUBSCRIBE: one confirmation per name; past the bound an error for each
/// name left, and those stay unsubscribed.
void subscribe_each(Ctx& c, bool patterns) {
  if (!served(c)) return;
  PubSub& registry = *c.facts().pubsub;
  Subscriber& me = *c.session.subscriber;
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    const std::string& name = c.args[i];
    if (!c.pattern_fits(name, channel_names)) continue;
    if (!registry.holds(me, name, patterns) && registry.count(me) >= PubSub::subscriptions_max) {
      c.out.error("ERR calm-kvs allows up to " + std::to_string(PubSub::subscriptions_max) +
                  " channels and patterns per connection");
      continue;
    }
    const std::size_t count =
        patterns ? registry.psubscribe(me, name) : registry.subscribe(me, name);
    confirm(c, patterns ? "psubscribe" : "subscribe", &name, count);
  }
}

/// UNSUBSCRIBE and PUNSUBSCRIBE: the names given, or every one held; with none held, one
/// confirmation of nil.
void unsubscribe_each(Ctx& c, bool patterns) {
  if (!served(c)) return;
  PubSub& registry = *c.facts().pubsub;
  Subscriber& me = *c.session.subscriber;
  const std::string_view kind = patterns ? "punsubscribe" : "unsubscribe";
  std::vector<std::string> names(c.args.begin() + 1, c.args.end());
  if (names.empty()) {
    names = patterns ? registry.patterns_of(me) : registry.channels_of(me);
    if (names.empty()) return confirm(c, kind, nullptr, registry.count(me));
  }
  for (const std::string& name : names) {
    const std::size_t count =
        patterns ? registry.punsubscribe(me, name) : registry.unsubscribe(me, name);
    confirm(c, kind, &name, count);
  }
}

}  // namespace

void subscribe(Ctx& c) { subscribe_each(c, false); }
void psubscribe(Ctx& c) { subscribe_each(c, true); }
void unsubscribe(Ctx& c) { unsubscribe_each(c, false); }
void punsubscribe(Ctx& c) { unsubscribe_each(c, true); }

void publish(Ctx& c) {
  if (!c.pattern_fits(c.args[1], channel_names)) return;
  if (!c.fits(c.args[1].size() + c.args[2].size())) return;  // it must fit one peer message
  std::size_t pushes = 0;
  if (c.facts().pubsub) pushes = c.facts().pubsub->publish(c.args[1], c.args[2]);
  if (c.facts().publish_to_peers) c.facts().publish_to_peers(c.args[1], c.args[2]);
  // As Redis Cluster: the receivers on this replica (the peers' are not waited for).
  c.out.integer(static_cast<std::int64_t>(pushes));
}

/// RESET's part here (the Router has ended the connection's transaction and watches): no
/// subscriptions, no name, and, when the server has a password, no longer authenticated, as
/// Redis's RESET returns a connection to the default user.
void reset(Ctx& c) {
  if (c.facts().pubsub && c.session.subscriber) c.facts().pubsub->remove(*c.session.subscriber);
  c.session.subscriptions = 0;
  c.session.name.clear();
  c.session.authenticated = c.facts().password.empty();
  c.session.protocol = Protocol::resp2;
  c.out.simple("RESET");
}

void pubsub(Ctx& c) {
  const std::string sub = c.subcommand();
  const PubSub* registry = c.facts().pubsub;
  if (sub == "channels" && c.args.size() <= 3) {
    if (c.args.size() == 3 && !c.pattern_fits(c.args[2], channel_names)) return;
    const std::vector<std::string> channels =
        registry ? registry->active_channels(c.args.size() == 3 ? &c.args[2] : nullptr)
                 : std::vector<std::string>{};
    c.out.array_header(channels.size());
    for (const std::string& channel : channels) c.out.bulk(channel);
    return;
  }
  if (sub == "numsub") {
    c.out.array_header(2 * (c.args.size() - 2));
    for (std::size_t i = 2; i < c.args.size(); ++i) {
      c.out.bulk(c.args[i]);
      c.out.integer(registry ? static_cast<std::int64_t>(registry->subscribers(c.args[i])) : 0);
    }
    return;
  }
  if (sub == "numpat") {
    if (c.args.size() != 2) return c.subcommand_arity_error();
    return c.out.integer(registry ? static_cast<std::int64_t>(registry->pattern_subscriptions())
                                  : 0);
  }
  if (sub == "channels") {  // Redis 7.0's words for PUBSUB CHANNELS with two patterns
    return c.out.error(one_line("ERR unknown subcommand or wrong number of arguments for '" +
                                std::string(echoed(c.args[1], echo_bytes_max)) +
                                "'. Try PUBSUB HELP."));
  }
  c.unknown_subcommand();
}

}  // namespace calm::apps::kvs::handlers
