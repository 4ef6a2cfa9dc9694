// calm-kvs's sorted sets: what concurrent writes at two replicas leave once their states merge
// (tests/kvs/vs_redis.py compares the replies on one replica with redis-server's, byte for byte).
#include <gtest/gtest.h>

#include <string>

#include "two_replicas.hpp"

namespace calm::apps::kvs {
namespace {

class SortedSets : public TwoReplicas {};

TEST_F(SortedSets, ConcurrentZincrbysAddUp) {
  EXPECT_EQ(run("ZADD z 1 m"), ":1\r\n");
  sync();
  EXPECT_EQ(run("ZINCRBY z 2 m"), "$1\r\n3\r\n");
  EXPECT_EQ(run_on(other, "ZINCRBY z 0.5 m"), "$3\r\n1.5\r\n");
  sync();
  EXPECT_EQ(run("ZSCORE z m"), "$3\r\n3.5\r\n");
  EXPECT_EQ(run_on(other, "ZSCORE z m"), "$3\r\n3.5\r\n");
}

TEST_F(SortedSets, ConcurrentZaddsOfOneMemberReadAsTheGreatestScore) {
  run("ZADD z 5 m");
  run_on(other, "ZADD z 7 m 1 n");
  sync();
  EXPECT_EQ(run("ZRANGE z 0 -1 WITHSCORES"), array({"n", "1", "m", "7"}));
  EXPECT_EQ(run_on(other, "ZRANGE z 0 -1 WITHSCORES"), array({"n", "1", "m", "7"}));
  // A later ZADD replaces both.
  run("ZADD z 2 m");
  sync();
  EXPECT_EQ(run_on(other, "ZSCORE z m"), "$1\r\n2\r\n");
}

TEST_F(SortedSets, ZremTakesWhatItSawAndAConcurrentAddOrIncrementStays) {
  run("ZADD z 1 a 2 b");
  sync();
  EXPECT_EQ(run("ZREM z a b"), ":2\r\n");
  run_on(other, "ZINCRBY z 4 a");  // concurrent with the ZREM: its increment stays
  run_on(other, "ZADD z 9 c");
  sync();
  EXPECT_EQ(run("ZRANGE z 0 -1 WITHSCORES"), array({"a", "4", "c", "9"}));
  EXPECT_EQ(run_on(other, "ZCARD z"), ":2\r\n");
}

TEST_F(SortedSets, ConcurrentPopsAreAtLeastOnceOnCoordinationFreeKeys) {
  run("ZADD z 1 a 2 b 3 c");
  sync();
  EXPECT_EQ(run("ZPOPMIN z"), array({"a", "1"}));
  EXPECT_EQ(run_on(other, "ZPOPMIN z"), array({"a", "1"}));  // the same member, at both
  sync();
  EXPECT_EQ(run("ZRANGE z 0 -1"), array({"b", "c"}));
}

TEST_F(SortedSets, SpopIsAtLeastOnceOnCoordinationFreeKeysAsZpopmin) {
  run("SADD s only");
  sync();
  EXPECT_EQ(run("SPOP s"), "$4\r\nonly\r\n");
  EXPECT_EQ(run_on(other, "SPOP s 3"), array({"only"}));  // the same member, at both
  sync();
  EXPECT_EQ(run("EXISTS s"), ":0\r\n");
}

TEST_F(SortedSets, ConditionalZaddNeedsCoordinationOnAFreeKey) {
  const std::string reply = run("ZADD z NX 1 m");
  EXPECT_NE(reply.find("ZADD NX|XX|GT|LT needs coordination"), std::string::npos) << reply;
  EXPECT_EQ(run("EXISTS z"), ":0\r\n");
  // Options Redis refuses for their words get Redis's error, on any key.
  EXPECT_EQ(run("ZADD z NX XX 1 m"),
            "-ERR XX and NX options at the same time are not compatible\r\n");
  EXPECT_EQ(run("ZADD z CH INCR 2 m"), "$1\r\n2\r\n");
}

TEST_F(SortedSets, ASetOrDelOfTheKeyTakesAwayTheSortedSetItSaw) {
  run("ZADD z 1 a");
  run("ZINCRBY z 2 b");
  sync();
  EXPECT_EQ(run("SET z v"), "+OK\r\n");
  EXPECT_EQ(run_on(other, "ZINCRBY z 1 c"), "$1\r\n1\r\n");  // concurrent with the SET
  sync();
  // Two types after the merge: the key reads as the sorted set, the higher type (docs/kvs.md).
  EXPECT_EQ(run("TYPE z"), "+zset\r\n");
  EXPECT_EQ(run("ZRANGE z 0 -1 WITHSCORES"), array({"c", "1"}));
  EXPECT_EQ(run("DEL z"), ":1\r\n");
  sync();
  EXPECT_EQ(run_on(other, "EXISTS z"), ":0\r\n");
}

}  // namespace
}  // namespace calm::apps::kvs
