// calm-kvs's lists: Redis's replies on one replica, and what concurrent writes at two replicas
// leave once their states merge (the sequence CRDT under the commands).
#include <gtest/gtest.h>

#include <kvs/commands.hpp>
#include <string>
#include <vector>

#include "two_replicas.hpp"

namespace calm::apps::kvs {
namespace {

class Lists : public TwoReplicas {};

TEST_F(Lists, LposAndLinsertOnAListOfManyChunksAnswerAsAPlainSearchDoes) {
  // The search reads 256 elements at a time: matches on both sides of a chunk's edge, from
  // either end, with COUNT and MAXLEN, against a plain search of a vector.
  constexpr int size = 700;
  std::vector<std::string> model;
  std::string push = "RPUSH l";
  for (int i = 0; i < size; ++i) {
    model.push_back(i == 255 || i == 256 || i == 511 || i == 600 ? "m" : "x" + std::to_string(i));
    push += " " + model.back();
  }
  run(push);
  const auto plain = [&](long rank, std::size_t count, std::size_t maxlen) {
    std::string out;
    std::size_t found = 0;
    long skip = (rank > 0 ? rank : -rank) - 1;
    for (std::size_t k = 0; k < model.size() && (maxlen == 0 || k < maxlen); ++k) {
      const std::size_t at = rank > 0 ? k : model.size() - 1 - k;
      if (model[at] != "m" || skip-- > 0) continue;
      out += ":" + std::to_string(at) + "\r\n";
      if (++found == count) break;
    }
    return "*" + std::to_string(found) + "\r\n" + out;
  };
  for (const long rank : {1L, 2L, 3L, 5L, -1L, -2L, -4L, -5L}) {
    for (const std::size_t count : {0u, 1u, 2u}) {
      for (const std::size_t maxlen : {0u, 256u, 257u, 445u, 700u}) {
        const std::string line = "LPOS l m RANK " + std::to_string(rank) + " COUNT " +
                                 std::to_string(count) + " MAXLEN " + std::to_string(maxlen);
        EXPECT_EQ(run(line), plain(rank, count == 0 ? SIZE_MAX : count, maxlen)) << line;
      }
    }
  }
  EXPECT_EQ(run("LINSERT l BEFORE x300 new"), ":701\r\n");
  EXPECT_EQ(run("LINDEX l 300"), "$3\r\nnew\r\n");
  EXPECT_EQ(run("LINSERT l AFTER m last"), ":702\r\n");  // the first m, at 255
  EXPECT_EQ(run("LINDEX l 256"), "$4\r\nlast\r\n");
  EXPECT_EQ(run("LINSERT l AFTER x699 end"), ":703\r\n");
  EXPECT_EQ(run("LINDEX l -1"), "$3\r\nend\r\n");
  EXPECT_EQ(run("LINSERT l AFTER nothing y"), ":-1\r\n");
}

TEST_F(Lists, PushesPopsAndRangesAnswerAsRedis) {
  EXPECT_EQ(run("LPUSH l c b a"), ":3\r\n");
  EXPECT_EQ(run("RPUSH l d e"), ":5\r\n");
  EXPECT_EQ(run("LRANGE l 0 -1"), array({"a", "b", "c", "d", "e"}));
  EXPECT_EQ(run("LRANGE l -2 100"), array({"d", "e"}));
  EXPECT_EQ(run("LRANGE l 3 1"), "*0\r\n");
  EXPECT_EQ(run("LRANGE missing 0 -1"), "*0\r\n");
  EXPECT_EQ(run("LLEN l"), ":5\r\n");
  EXPECT_EQ(run("TYPE l"), "+list\r\n");
  EXPECT_EQ(run("LINDEX l -1"), "$1\r\ne\r\n");
  EXPECT_EQ(run("LINDEX l 5"), "$-1\r\n");
  EXPECT_EQ(run("LPOP l"), "$1\r\na\r\n");
  EXPECT_EQ(run("RPOP l 2"), array({"e", "d"}));
  EXPECT_EQ(run("LPOP l 0"), "*0\r\n");
  EXPECT_EQ(run("LPOP missing"), "$-1\r\n");
  EXPECT_EQ(run("LPOP missing 2"), "*-1\r\n");
  EXPECT_EQ(run("LPOP l -1"), "-ERR value is out of range, must be positive\r\n");
  EXPECT_EQ(run("LPOP l 1 2"), "-ERR wrong number of arguments for 'lpop' command\r\n");
  EXPECT_EQ(run("LPUSHX missing x"), ":0\r\n");
  EXPECT_EQ(run("RPUSHX l x"), ":3\r\n");
  EXPECT_EQ(run("RPOP l 10"), array({"x", "c", "b"}));
  // The last element gone: the key is gone, as in Redis.
  EXPECT_EQ(run("EXISTS l"), ":0\r\n");
  EXPECT_EQ(run("TYPE l"), "+none\r\n");
}

TEST_F(Lists, SetInsertRemoveTrimAndFind) {
  run("RPUSH l a b c a b c a");
  EXPECT_EQ(run("LSET l 1 B"), "+OK\r\n");
  EXPECT_EQ(run("LSET l -1 Z"), "+OK\r\n");
  EXPECT_EQ(run("LSET l 7 x"), "-ERR index out of range\r\n");
  EXPECT_EQ(run("LSET missing 0 x"), "-ERR no such key\r\n");
  EXPECT_EQ(run("LRANGE l 0 -1"), array({"a", "B", "c", "a", "b", "c", "Z"}));
  EXPECT_EQ(run("LINSERT l BEFORE c x"), ":8\r\n");
  EXPECT_EQ(run("LINSERT l after Z y"), ":9\r\n");
  EXPECT_EQ(run("LINSERT l BEFORE nothing x"), ":-1\r\n");
  EXPECT_EQ(run("LINSERT missing BEFORE a x"), ":0\r\n");
  EXPECT_EQ(run("LINSERT l SIDEWAYS a x"), "-ERR syntax error\r\n");
  EXPECT_EQ(run("LRANGE l 0 -1"), array({"a", "B", "x", "c", "a", "b", "c", "Z", "y"}));
  EXPECT_EQ(run("LPOS l c"), ":3\r\n");
  EXPECT_EQ(run("LPOS l c RANK -1"), ":6\r\n");
  EXPECT_EQ(run("LPOS l c RANK 2"), ":6\r\n");
  EXPECT_EQ(run("LPOS l c COUNT 0"), "*2\r\n:3\r\n:6\r\n");
  EXPECT_EQ(run("LPOS l c COUNT 0 MAXLEN 5"), "*1\r\n:3\r\n");
  EXPECT_EQ(run("LPOS l nothing"), "$-1\r\n");
  EXPECT_EQ(run("LPOS l nothing COUNT 1"), "*0\r\n");
  EXPECT_EQ(run("LPOS l c RANK 0").substr(0, 24), "-ERR RANK can't be zero:");
  EXPECT_EQ(run("LPOS l c COUNT -1"), "-ERR COUNT can't be negative\r\n");
  EXPECT_EQ(run("LPOS l c MAXLEN"), "-ERR syntax error\r\n");
  EXPECT_EQ(run("LREM l -1 c"), ":1\r\n");  // the last c
  EXPECT_EQ(run("LREM l 0 a"), ":2\r\n");
  EXPECT_EQ(run("LRANGE l 0 -1"), array({"B", "x", "c", "b", "Z", "y"}));
  EXPECT_EQ(run("LTRIM l 1 -2"), "+OK\r\n");
  EXPECT_EQ(run("LRANGE l 0 -1"), array({"x", "c", "b", "Z"}));
  EXPECT_EQ(run("LTRIM l 5 10"), "+OK\r\n");  // nothing inside: the list goes
  EXPECT_EQ(run("EXISTS l"), ":0\r\n");
  EXPECT_EQ(run("LTRIM l x 1"), "-ERR value is not an integer or out of range\r\n");
}

TEST_F(Lists, MovesBetweenListsAndRotates) {
  run("RPUSH a 1 2 3");
  EXPECT_EQ(run("LMOVE a b LEFT RIGHT"), "$1\r\n1\r\n");
  EXPECT_EQ(run("RPOPLPUSH a b"), "$1\r\n3\r\n");
  EXPECT_EQ(run("LRANGE b 0 -1"), array({"3", "1"}));
  EXPECT_EQ(run("LMOVE b b RIGHT LEFT"), "$1\r\n1\r\n");  // a rotation
  EXPECT_EQ(run("LRANGE b 0 -1"), array({"1", "3"}));
  EXPECT_EQ(run("LMOVE a b UP LEFT"), "-ERR syntax error\r\n");
  EXPECT_EQ(run("LMOVE missing b LEFT LEFT"), "$-1\r\n");
  run("SET s v");
  EXPECT_EQ(run("LMOVE a s LEFT LEFT"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(run("LRANGE a 0 -1"), array({"2"}));  // nothing moved
}

TEST_F(Lists, ListsAndOtherTypesExcludeEachOther) {
  const std::string wrong =
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  run("RPUSH l a");
  run("SET s v");
  run("SADD set m");
  EXPECT_EQ(run("GET l"), wrong);
  EXPECT_EQ(run("SADD l m"), wrong);
  EXPECT_EQ(run("HSET l f v"), wrong);
  EXPECT_EQ(run("LPUSH s x"), wrong);
  EXPECT_EQ(run("LRANGE set 0 -1"), wrong);
  EXPECT_EQ(run("LLEN s"), wrong);
  EXPECT_EQ(run("LPOP set"), wrong);
  EXPECT_EQ(run("SET l v"), "+OK\r\n");  // SET replaces a list, as in Redis
  EXPECT_EQ(run("GET l"), "$1\r\nv\r\n");
  EXPECT_EQ(run("DEL l"), ":1\r\n");
  EXPECT_EQ(run("RPUSH l b"), ":1\r\n");
  EXPECT_EQ(run("LRANGE l 0 -1"), array({"b"}));
}

TEST_F(Lists, ConcurrentPushesAllSurviveInOneOrderEverywhere) {
  run("RPUSH q start");
  sync();
  EXPECT_EQ(run("RPUSH q a1 a2 a3"), ":4\r\n");
  EXPECT_EQ(run_on(other, "RPUSH q b1 b2"), ":3\r\n");
  EXPECT_EQ(run("LPUSH q x"), ":5\r\n");
  EXPECT_EQ(run_on(other, "LPUSH q y"), ":4\r\n");
  sync();
  const std::string here = run("LRANGE q 0 -1");
  EXPECT_EQ(here, run_on(other, "LRANGE q 0 -1"));
  EXPECT_EQ(run("LLEN q"), ":8\r\n");
  // Each replica's run stays whole: a1 a2 a3 and b1 b2 do not interleave.
  EXPECT_TRUE(here.find("$2\r\na1\r\n$2\r\na2\r\n$2\r\na3\r\n") != std::string::npos) << here;
  EXPECT_TRUE(here.find("$2\r\nb1\r\n$2\r\nb2\r\n") != std::string::npos) << here;
}

TEST_F(Lists, ConcurrentPopsAreAtLeastOnceOnCoordinationFreeKeys) {
  run("RPUSH q j1 j2 j3");
  sync();
  // Both replicas hand out j1: what docs/kvs.md states for coordination-free keys.
  EXPECT_EQ(run("LPOP q"), "$2\r\nj1\r\n");
  EXPECT_EQ(run_on(other, "LPOP q"), "$2\r\nj1\r\n");
  sync();
  EXPECT_EQ(run("LRANGE q 0 -1"), array({"j2", "j3"}));
  EXPECT_EQ(run_on(other, "LRANGE q 0 -1"), array({"j2", "j3"}));
  // Concurrent LSETs of one index keep both values, next to each other, in one order.
  EXPECT_EQ(run("LSET q 0 here"), "+OK\r\n");
  EXPECT_EQ(run_on(other, "LSET q 0 there"), "+OK\r\n");
  sync();
  EXPECT_EQ(run("LLEN q"), ":3\r\n");
  EXPECT_EQ(run("LRANGE q 0 -1"), run_on(other, "LRANGE q 0 -1"));
  EXPECT_EQ(run("LINDEX q 2"), "$2\r\nj3\r\n");
  // A push concurrent with a SET elsewhere: SET takes away what it saw, the push survives.
  EXPECT_EQ(run("SET q gone"), "+OK\r\n");
  EXPECT_EQ(run_on(other, "RPUSH q late"), ":4\r\n");
  sync();
  EXPECT_EQ(run("TYPE q"), "+list\r\n");  // the list reads above the string (value.hpp)
  EXPECT_EQ(run("LRANGE q 0 -1"), array({"late"}));
}

TEST_F(Lists, AListOfManyPiecesCutsIntoPartsThatRejoin) {
  // LPUSH one at a time makes one piece per element; anti-entropy cuts a large list by
  // lattices::decompose, and the parts must join back to the same list.
  for (int i = 0; i < 300; ++i) run("LPUSH big v" + std::to_string(i));
  run("LREM big 0 v7");
  const KeyValue& value = keyspace.values["big"];
  KeyValue joined;
  for (const KeyValue& part : lat::decompose(value)) lat::merge(joined, part);
  EXPECT_EQ(joined, value);
  // A received delta is checked against the whole list without copying it (delta's small
  // path): the same answer as the full computation.
  KeyValue copy = value;
  const auto inserted = list_insert(copy, 9, 150, {"new"});
  ASSERT_TRUE(std::holds_alternative<KeyValue>(inserted));
  const KeyValue& d = std::get<KeyValue>(inserted);
  EXPECT_EQ(lat::delta(d, value), d);
  EXPECT_TRUE(lat::is_bot(lat::delta(d, copy)));
  KeyValue erased = copy;
  const KeyValue tombstone = list_erase(erased, 0, 1);
  EXPECT_EQ(lat::delta(tombstone, copy), tombstone);
  EXPECT_TRUE(lat::is_bot(lat::delta(tombstone, erased)));
}

}  // namespace
}  // namespace calm::apps::kvs
