// Pub/Sub on one replica: the registry, the commands' replies as Redis 7.0 gives them, and
// the subscribed state's rule of which commands run.
#include <gtest/gtest.h>

#include <kvs/commands.hpp>
#include <kvs/pubsub.hpp>
#include <kvs/router.hpp>
#include <memory>
#include <string>
#include <vector>

#include "memory_keyspace.hpp"

namespace calm::apps::kvs {
namespace {

/// A subscriber that keeps its pushes.
struct Recorder final : Subscriber {
  void deliver(std::string_view bytes) override { pushes.emplace_back(bytes); }
  std::vector<std::string> pushes;
};

std::string message(const std::string& channel, const std::string& text) {
  std::string out;
  ReplyWriter w(out);
  w.array_header(3);
  w.bulk("message");
  w.bulk(channel);
  w.bulk(text);
  return out;
}

TEST(PubSubRegistry, DeliversToChannelsThenPatternsAndCountsEachPush) {
  PubSub registry;
  Recorder a, b;
  EXPECT_EQ(registry.subscribe(a, "news"), 1u);
  EXPECT_EQ(registry.subscribe(a, "news"), 1u);  // held once
  EXPECT_EQ(registry.psubscribe(a, "n*"), 2u);
  EXPECT_EQ(registry.subscribe(b, "sport"), 1u);
  EXPECT_EQ(registry.psubscribe(b, "n[ae]ws"), 2u);
  EXPECT_EQ(registry.publish("news", "hi"), 3u);  // a's channel, a's pattern, b's pattern
  ASSERT_EQ(a.pushes.size(), 2u);
  EXPECT_EQ(a.pushes[0], message("news", "hi"));
  EXPECT_EQ(a.pushes[1], "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  EXPECT_EQ(b.pushes.size(), 1u);
  EXPECT_EQ(registry.publish("nothing", "x"), 1u);  // n* only
  EXPECT_EQ(registry.publish("weather", "x"), 0u);
  EXPECT_EQ(registry.active_channels(nullptr), (std::vector<std::string>{"news", "sport"}));
  const std::string pattern = "s*";
  EXPECT_EQ(registry.active_channels(&pattern), (std::vector<std::string>{"sport"}));
  EXPECT_EQ(registry.subscribers("news"), 1u);
  EXPECT_EQ(registry.pattern_subscriptions(), 2u);
  EXPECT_EQ(registry.unsubscribe(a, "news"), 1u);
  EXPECT_EQ(registry.unsubscribe(a, "news"), 1u);  // not held: nothing changes
  registry.remove(b);
  EXPECT_EQ(registry.count(b), 0u);
  EXPECT_EQ(registry.active_channels(nullptr), std::vector<std::string>{});
  EXPECT_EQ(registry.pattern_subscriptions(), 1u);
  EXPECT_EQ(registry.punsubscribe(a, "n*"), 0u);
  EXPECT_EQ(registry.pattern_subscriptions(), 0u);
}

TEST(PubSubRegistry, APeersMessageIsReadOnlyFromTheBytesPresent) {
  std::string_view channel, text;
  const std::string bytes = encode_published("ch", "body");
  ASSERT_TRUE(decode_published(bytes, channel, text));
  EXPECT_EQ(channel, "ch");
  EXPECT_EQ(text, "body");
  EXPECT_TRUE(decode_published(encode_published("", ""), channel, text));
  EXPECT_FALSE(decode_published("abc", channel, text));  // no length
  // A length that lies (4 GiB, then 3 with 2 bytes present) is refused, not read past.
  EXPECT_FALSE(decode_published(std::string("\xff\xff\xff\xff", 4) + "x", channel, text));
  EXPECT_FALSE(decode_published(std::string("\x03\x00\x00\x00", 4) + "ab", channel, text));
}

class PubSubCommands : public ::testing::Test {
 protected:
  PubSubCommands() { session->subscriber = &me; }
  ServerFacts make_facts() {
    ServerFacts f;
    f.pubsub = &registry;
    f.publish_to_peers = [this](std::string_view channel, std::string_view text) {
      to_peers.emplace_back(std::string(channel) + "=" + std::string(text));
    };
    return f;
  }
  std::string run(const Request& request) {
    Connection c;
    router.execute(request, session, c);
    return c.bytes;
  }
  struct Connection final : Replies {
    std::string& now() override { return bytes; }
    std::function<void(std::string)> later() override {
      return [this](std::string b) { bytes += b; };
    }
    std::string bytes;
  };
  PubSub registry;
  Recorder me, other;
  std::vector<std::string> to_peers;
  MemoryKeyspace keyspace;
  CommandProcessor processor{keyspace, 1, make_facts()};
  Router router{processor, nullptr, KeyClasses()};
  std::shared_ptr<Session> session = std::make_shared<Session>();
};

TEST_F(PubSubCommands, RepliesAndTheSubscribedStateAsRedis) {
  // Byte for byte what redis-server 7.0.15 answers (tests/kvs/pubsub.py compares them live).
  EXPECT_EQ(run({"UNSUBSCRIBE"}), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  EXPECT_EQ(run({"PUNSUBSCRIBE"}), "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
  EXPECT_EQ(run({"SUBSCRIBE", "a", "b", "a"}),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n");
  EXPECT_EQ(run({"GET", "k"}),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context\r\n");
  EXPECT_EQ(run({"MULTI"}).substr(0, 26), "-ERR Can't execute 'multi'");
  EXPECT_EQ(run({"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  EXPECT_EQ(run({"PING", "x"}), "*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
  EXPECT_EQ(run({"PSUBSCRIBE", "p*"}), "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n");
  EXPECT_EQ(registry.publish("a", "hello"), 1u);
  EXPECT_EQ(registry.publish("pq", "x"), 1u);
  EXPECT_EQ(me.pushes.size(), 2u);
  EXPECT_EQ(run({"UNSUBSCRIBE"}),
            "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n"
            ":1\r\n");
  EXPECT_EQ(run({"PUNSUBSCRIBE", "p*"}), "*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n");
  EXPECT_EQ(run({"PING"}), "+PONG\r\n");  // out of the subscribed state
  EXPECT_EQ(run({"GET", "k"}), "$-1\r\n");
}

TEST_F(PubSubCommands, ResetEndsSubscriptionsTheTransactionAndTheName) {
  EXPECT_EQ(run({"CLIENT", "SETNAME", "me"}), "+OK\r\n");
  EXPECT_EQ(run({"PSUBSCRIBE", "a*"}).substr(0, 4), "*3\r\n");
  EXPECT_EQ(run({"RESET"}), "+RESET\r\n");
  EXPECT_EQ(registry.count(me), 0u);
  EXPECT_EQ(registry.publish("ab", "x"), 0u);
  EXPECT_EQ(run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(run({"SET", "k", "v"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"RESET"}), "+RESET\r\n");
  EXPECT_EQ(run({"EXEC"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_TRUE(keyspace.find("k") == nullptr);
  EXPECT_TRUE(session->authenticated);  // no password: authenticated still
}

TEST_F(PubSubCommands, PublishCountsThisReplicasReceiversAndTellsThePeers) {
  registry.subscribe(other, "news");
  registry.psubscribe(other, "*");
  EXPECT_EQ(run({"PUBLISH", "news", "hi"}), ":2\r\n");
  EXPECT_EQ(run({"PUBLISH", "weather", "rain"}), ":1\r\n");
  EXPECT_EQ(to_peers, (std::vector<std::string>{"news=hi", "weather=rain"}));
  EXPECT_EQ(run({"PUBSUB", "NUMSUB", "news", "none"}),
            "*4\r\n$4\r\nnews\r\n:1\r\n$4\r\nnone\r\n:0\r\n");
  EXPECT_EQ(run({"PUBSUB", "NUMSUB"}), "*0\r\n");
  EXPECT_EQ(run({"PUBSUB", "NUMPAT"}), ":1\r\n");
  EXPECT_EQ(run({"PUBSUB", "NUMPAT", "x"}),
            "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n");
  EXPECT_EQ(run({"PUBSUB", "CHANNELS"}), "*1\r\n$4\r\nnews\r\n");
  EXPECT_EQ(run({"PUBSUB", "CHANNELS", "x*"}), "*0\r\n");
  EXPECT_EQ(run({"PUBSUB", "CHANNELS", "x", "y"}),
            "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB "
            "HELP.\r\n");
  EXPECT_EQ(run({"PUBSUB", "FOO"}), "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n");
  // A message too long for one replication message is refused, and reaches nobody.
  const std::string huge(processor.limits().value_bytes_max + 1, 'x');
  EXPECT_EQ(run({"PUBLISH", "news", huge}).substr(0, 20), "-ERR calm-kvs takes ");
  EXPECT_EQ(other.pushes.size(), 3u);
  EXPECT_EQ(to_peers.size(), 2u);
}

TEST_F(PubSubCommands, ChannelsAndPatternsAreBoundedSoThatAMatchIsBounded) {
  const std::string long_name(1025, 'a');
  const std::string error =
      "-ERR calm-kvs takes channel names and patterns of up to 1024 bytes\r\n";
  EXPECT_EQ(run({"SUBSCRIBE", long_name}), error);
  EXPECT_EQ(run({"PSUBSCRIBE", "*" + long_name}), error);
  EXPECT_EQ(run({"PUBLISH", long_name, "m"}), error);
  EXPECT_EQ(run({"PUBSUB", "CHANNELS", "*" + long_name}), error);
  EXPECT_EQ(registry.count(me), 0u);
  EXPECT_TRUE(to_peers.empty());
  EXPECT_EQ(run({"SUBSCRIBE", std::string(1024, 'a')}).substr(0, 4), "*3\r\n");
}

TEST_F(PubSubCommands, AConnectionHoldsAtMostTheStatedNumberOfSubscriptions) {
  for (std::size_t i = 0; i < PubSub::subscriptions_max; ++i) {
    registry.subscribe(me, "c" + std::to_string(i));
  }
  session->subscriptions = PubSub::subscriptions_max;
  EXPECT_EQ(run({"SUBSCRIBE", "one-more"}),
            "-ERR calm-kvs allows up to 65536 channels and patterns per connection\r\n");
  EXPECT_EQ(run({"PSUBSCRIBE", "c0"}).substr(0, 20), "-ERR calm-kvs allows");
  EXPECT_EQ(run({"SUBSCRIBE", "c0"}).substr(0, 13), "*3\r\n$9\r\nsubsc");  // already held
  EXPECT_EQ(registry.count(me), PubSub::subscriptions_max);
}

}  // namespace
}  // namespace calm::apps::kvs
