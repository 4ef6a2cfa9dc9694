// calm-kvs's linearizable side without a network: the log's state machine (LinearMachine)
// command by command, and the Router that sends each request to its class.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <kvs/linear.hpp>
#include <kvs/router.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lattices/serialize.hpp"
#include "memory_keyspace.hpp"

namespace calm::apps::kvs {
namespace {

using namespace std::string_literals;

Request parse(const std::string& line) {
  RequestParser parser;
  parser.feed(line + "\r\n");
  auto request = parser.next();
  EXPECT_TRUE(request) << line;
  return request.value_or(Request{});
}

std::string op(const std::string& line, std::uint64_t at_ms) {
  LinearOp o;
  o.wall_ms = at_ms;
  o.commands.push_back(parse(line));
  return encode(o);
}

class Machine : public ::testing::Test {
 protected:
  /// Applies one command as a log entry stamped `at` ms (the log's clock).
  std::string apply(const std::string& line) { return machine.apply(op(line, at)); }
  std::string read(const std::string& line) const { return machine.query(op(line, 0)); }
  LinearMachine machine;
  std::uint64_t at = 1'000'000;
};

TEST_F(Machine, CommandsThatNeedCoordinationRunAsOnOneRedisServer) {
  EXPECT_EQ(apply("SETNX k v"), ":1\r\n");
  EXPECT_EQ(apply("SETNX k w"), ":0\r\n");
  EXPECT_EQ(apply("SET k x NX"), "$-1\r\n");
  EXPECT_EQ(apply("SET k x XX GET"), "$1\r\nv\r\n");
  EXPECT_EQ(apply("SET fresh x XX"), "$-1\r\n");
  EXPECT_EQ(apply("GETSET k y"), "$1\r\nx\r\n");
  EXPECT_EQ(apply("GETDEL k"), "$1\r\ny\r\n");
  EXPECT_EQ(apply("GETDEL k"), "$-1\r\n");
  EXPECT_EQ(apply("SET k v NX XX"), "-ERR syntax error\r\n");
  EXPECT_EQ(apply("HSETNX h f 1"), ":1\r\n");
  EXPECT_EQ(apply("HSETNX h f 2"), ":0\r\n");
  EXPECT_EQ(apply("HGET h f"), "$1\r\n1\r\n");
  EXPECT_EQ(apply("SADD a m n"), ":2\r\n");
  EXPECT_EQ(apply("SMOVE a b m"), ":1\r\n");
  EXPECT_EQ(apply("SMOVE a b m"), ":0\r\n");
  EXPECT_EQ(apply("SMEMBERS b"), "*1\r\n$1\r\nm\r\n");
  EXPECT_EQ(apply("SMOVE a h n"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(apply("RENAME b c"), "+OK\r\n");
  EXPECT_EQ(apply("EXISTS b"), ":0\r\n");
  EXPECT_EQ(apply("RENAME b c"), "-ERR no such key\r\n");
  EXPECT_EQ(apply("RENAMENX c a"), ":0\r\n");
  EXPECT_EQ(apply("RENAMENX c d"), ":1\r\n");
  EXPECT_EQ(apply("SMEMBERS d"), "*1\r\n$1\r\nm\r\n");
  EXPECT_EQ(apply("SPOP d"), "$1\r\nm\r\n");
  EXPECT_EQ(apply("EXISTS d"), ":0\r\n");  // the last member gone: the key is gone
  EXPECT_EQ(machine.keys(), 2u);           // h and a
}

TEST_F(Machine, IncrHandsOutEveryIdOnce) {
  for (int i = 1; i <= 100; ++i) {
    const std::string reply = apply("INCR id");
    ASSERT_EQ(reply.front(), ':');
    EXPECT_EQ(std::stoi(reply.substr(1)), i);
  }
  EXPECT_EQ(read("GET id"), "$3\r\n100\r\n");
}

TEST_F(Machine, ExpiryIsDecidedByTheLogsClock) {
  EXPECT_EQ(apply("SET lock a NX PX 30000"), "+OK\r\n");
  EXPECT_EQ(apply("PTTL lock"), ":30000\r\n");
  EXPECT_EQ(apply("TTL lock"), ":30\r\n");
  EXPECT_EQ(apply("PEXPIRETIME lock"), ":" + std::to_string(at + 30'000) + "\r\n");
  EXPECT_EQ(apply("EXPIRETIME lock"), ":" + std::to_string((at + 30'000 + 500) / 1000) + "\r\n");
  at += 29'999;
  EXPECT_EQ(apply("SET lock b NX PX 30000"), "$-1\r\n");
  // Stamps are whole ms: at exactly the expiry the holder's T may not have passed yet (it took
  // the lock up to 1 ms after its stamp), so the key expires strictly after, as in Redis.
  at += 1;
  EXPECT_EQ(apply("SET lock b NX PX 30000"), "$-1\r\n");
  // A later entry stamped earlier (another leader's slower clock) does not turn the log's
  // clock back: the lock stays expired once it has.
  at += 1;
  EXPECT_EQ(apply("SET lock b NX PX 30000"), "+OK\r\n");
  at -= 20'000;
  EXPECT_EQ(apply("PTTL lock"), ":30000\r\n");
  EXPECT_EQ(apply("GET lock"), "$1\r\nb\r\n");
  // A clock entry alone expires keys for reads.
  at += 50'001;
  EXPECT_EQ(read("GET lock"), "$1\r\nb\r\n");
  LinearOp clock;
  clock.kind = LinearOp::Kind::clock;
  clock.wall_ms = at;
  EXPECT_EQ(machine.apply(encode(clock)), "+OK\r\n");
  EXPECT_EQ(read("GET lock"), "$-1\r\n");
  EXPECT_EQ(read("PTTL lock"), ":-2\r\n");
  EXPECT_FALSE(machine.has_expiring_keys());
}

TEST_F(Machine, ExpireAndPersistFollowRedis) {
  apply("SET k v");
  EXPECT_EQ(apply("TTL k"), ":-1\r\n");
  EXPECT_EQ(apply("EXPIRE k 100"), ":1\r\n");
  EXPECT_EQ(apply("EXPIRE k 50 GT"), ":0\r\n");
  EXPECT_EQ(apply("EXPIRE k 50 LT"), ":1\r\n");
  EXPECT_EQ(apply("EXPIRE k 500 NX"), ":0\r\n");
  EXPECT_EQ(apply("TTL k"), ":50\r\n");
  EXPECT_EQ(apply("INCR n"), ":1\r\n");
  EXPECT_EQ(apply("PEXPIRE n 1500"), ":1\r\n");
  EXPECT_EQ(apply("INCR n"), ":2\r\n");  // INCR keeps the TTL
  EXPECT_EQ(apply("PTTL n"), ":1500\r\n");
  EXPECT_EQ(apply("SET n 5 KEEPTTL"), "+OK\r\n");
  EXPECT_EQ(apply("PTTL n"), ":1500\r\n");
  EXPECT_EQ(apply("SET n 6"), "+OK\r\n");  // SET clears it
  EXPECT_EQ(apply("PTTL n"), ":-1\r\n");
  EXPECT_EQ(apply("PERSIST k"), ":1\r\n");
  EXPECT_EQ(apply("PERSIST k"), ":0\r\n");
  EXPECT_EQ(apply("EXPIREAT k 1"), ":1\r\n");  // in the past: the key goes
  EXPECT_EQ(apply("EXISTS k"), ":0\r\n");
  EXPECT_EQ(apply("EXPIRE missing 10"), ":0\r\n");
  EXPECT_EQ(apply("SET k v EX 0"), "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(apply("SET k v PX 9223372036854775807"),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(apply("EXPIRE n 10 NX XX"),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  // Redis's order: an option's error before the time's; a time whose milliseconds pass
  // int64 below as above is an error, and the key stays.
  EXPECT_EQ(apply("EXPIRE n x BOGUS"), "-ERR Unsupported option BOGUS\r\n");
  EXPECT_EQ(apply("EXPIRE n -9223372036854775808"),
            "-ERR invalid expire time in 'expire' command\r\n");
  EXPECT_EQ(apply("EXISTS n"), ":1\r\n");
  EXPECT_EQ(apply("PEXPIRE n -9223372036854775808"), ":1\r\n");  // in the past: it goes
  EXPECT_EQ(apply("EXISTS n"), ":0\r\n");
  apply("SET r v EX 100");
  EXPECT_EQ(apply("RENAME r s"), "+OK\r\n");  // the TTL moves with the value
  EXPECT_EQ(apply("TTL s"), ":100\r\n");
}

TEST_F(Machine, MsetnxWritesEveryKeyOrNoneAndClearsTheirTtl) {
  EXPECT_EQ(apply("MSETNX a 1 b 2"), ":1\r\n");
  EXPECT_EQ(apply("MSETNX a 9 c 3"), ":0\r\n");  // a is there: nothing is written
  EXPECT_EQ(apply("EXISTS c"), ":0\r\n");
  EXPECT_EQ(apply("GET a"), "$1\r\n1\r\n");
  EXPECT_EQ(apply("MSETNX d 1 d 2"), ":1\r\n");  // one key twice: the last value, as Redis
  EXPECT_EQ(apply("GET d"), "$1\r\n2\r\n");
  apply("SADD s m");
  EXPECT_EQ(apply("MSETNX e 1 s 2"), ":0\r\n");  // a key of any type counts
  EXPECT_EQ(apply("EXISTS e"), ":0\r\n");
  apply("SET t 1 EX 100");
  EXPECT_EQ(apply("DEL t"), ":1\r\n");
  EXPECT_EQ(apply("MSETNX t 2"), ":1\r\n");
  EXPECT_EQ(apply("TTL t"), ":-1\r\n");
  EXPECT_EQ(apply("MSETNX a 1 b"), "-ERR wrong number of arguments for 'msetnx' command\r\n");
  EXPECT_EQ(apply("MSETNX a"), "-ERR wrong number of arguments for 'msetnx' command\r\n");
}

TEST_F(Machine, CopyCopiesEveryTypeWithItsTtlAsAValueOfItsOwn) {
  apply("SET str v EX 100");
  apply("INCRBY n 5");
  apply("SADD s a b");
  apply("HSET h f 1 g x");
  apply("HINCRBY h f 4");
  apply("RPUSH l a b c");
  for (const char* key : {"str", "n", "s", "h", "l"}) {
    EXPECT_EQ(apply("COPY "s + key + " " + key + ":copy"), ":1\r\n") << key;
    EXPECT_EQ(apply("TYPE "s + key + ":copy"), apply("TYPE "s + key)) << key;
  }
  EXPECT_EQ(apply("GET str:copy"), "$1\r\nv\r\n");
  EXPECT_EQ(apply("TTL str:copy"), ":100\r\n");  // the TTL comes along
  EXPECT_EQ(apply("TTL n:copy"), ":-1\r\n");
  EXPECT_EQ(apply("INCR n:copy"), ":6\r\n");
  EXPECT_EQ(apply("GET n"), "$1\r\n5\r\n");  // the copy is a value of its own
  EXPECT_EQ(apply("SADD s:copy c"), ":1\r\n");
  EXPECT_EQ(apply("SCARD s"), ":2\r\n");
  EXPECT_EQ(apply("HGETALL h:copy"), "*4\r\n$1\r\nf\r\n$1\r\n5\r\n$1\r\ng\r\n$1\r\nx\r\n");
  EXPECT_EQ(apply("HINCRBY h:copy f 1"), ":6\r\n");
  EXPECT_EQ(apply("HGET h f"), "$1\r\n5\r\n");
  EXPECT_EQ(apply("LRANGE l:copy 0 -1"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(apply("LPUSH l:copy z"), ":4\r\n");
  EXPECT_EQ(apply("LLEN l"), ":3\r\n");
  // An existing destination: 0 unless REPLACE, which takes the source's TTL (here none).
  EXPECT_EQ(apply("COPY n str"), ":0\r\n");
  EXPECT_EQ(apply("COPY n str REPLACE"), ":1\r\n");
  EXPECT_EQ(apply("GET str"), "$1\r\n5\r\n");
  EXPECT_EQ(apply("TTL str"), ":-1\r\n");
  EXPECT_EQ(apply("COPY s str replace"), ":1\r\n");
  EXPECT_EQ(apply("TYPE str"), "+set\r\n");
  EXPECT_EQ(apply("COPY none str REPLACE"), ":0\r\n");
  EXPECT_EQ(apply("COPY s s"), "-ERR source and destination objects are the same\r\n");
  EXPECT_EQ(apply("COPY s t DB 0"), ":1\r\n");
  EXPECT_EQ(apply("COPY s u DB 1"), "-ERR DB index is out of range\r\n");  // one database
  EXPECT_EQ(apply("COPY s u DB x"), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(apply("COPY s u DB 2147483648"),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
  EXPECT_EQ(apply("COPY s u DB -9223372036854775808"),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
  EXPECT_EQ(apply("COPY s u DB"), "-ERR syntax error\r\n");
  EXPECT_EQ(apply("EXISTS u"), ":0\r\n");
  EXPECT_EQ(apply("COPY s"), "-ERR wrong number of arguments for 'copy' command\r\n");
}

TEST_F(Machine, SetrangeAndSetbitKeepTheTtlAndReadsWorkOnLinearizableKeys) {
  apply("SET k abc EX 100");
  EXPECT_EQ(apply("SETRANGE k 1 X"), ":3\r\n");
  EXPECT_EQ(apply("SETBIT k 7 0"), ":1\r\n");
  EXPECT_EQ(apply("GET k"), "$3\r\n`Xc\r\n");
  EXPECT_EQ(apply("TTL k"), ":100\r\n");  // they change the value in place, as Redis
  EXPECT_EQ(apply("SETRANGE k 9223372036854775807 x"),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  EXPECT_EQ(apply("SETBIT k 4294967296 1"),
            "-ERR bit offset is not an integer or out of range\r\n");
  EXPECT_EQ(read("GETBIT k 1"), ":1\r\n");
  EXPECT_EQ(read("BITCOUNT k"), ":9\r\n");
  EXPECT_EQ(read("BITPOS k 0"), ":0\r\n");
  apply("SET other aXc");
  EXPECT_EQ(read("LCS k other"), "$2\r\nXc\r\n");
  apply("SADD s a b c");
  apply("SADD t b c d");
  EXPECT_EQ(read("SINTERCARD 2 s t LIMIT 1"), ":1\r\n");
  EXPECT_EQ(read("SSCAN s 0 MATCH [ab]"), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  apply("HSET h f v");
  EXPECT_EQ(read("HSCAN h 0"), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(read("HRANDFIELD h -2"), "*2\r\n$1\r\nf\r\n$1\r\nf\r\n");
  EXPECT_EQ(read("HRANDFIELD h -9223372036854775808").substr(0, 30),
            "-ERR value is out of range, va");
}

TEST_F(Machine, ATransactionAppliesAtOnceUnlessAWatchedKeyChanged) {
  LinearOp watch;
  watch.kind = LinearOp::Kind::watch;
  watch.commands.push_back(parse("WATCH a b"));
  const auto tokens =
      lattices::from_bytes<std::vector<std::uint64_t>>(machine.query(encode(watch)));
  ASSERT_EQ(tokens.size(), 2u);
  LinearOp tx;
  tx.kind = LinearOp::Kind::transaction;
  tx.wall_ms = at;
  tx.commands = {parse("INCR a"), parse("SADD b x"), parse("GET b"), parse("INCR a")};
  tx.watched = {{"a", tokens[0]}, {"b", tokens[1]}};
  EXPECT_EQ(machine.apply(encode(tx)),
            "*4\r\n:1\r\n:1\r\n-WRONGTYPE Operation against a key holding the wrong kind of "
            "value\r\n:2\r\n");
  // The same tokens again: a watched key changed since, so nothing runs.
  EXPECT_EQ(machine.apply(encode(tx)), "*-1\r\n");
  EXPECT_EQ(read("GET a"), "$1\r\n2\r\n");
  // An expiry counts as a change.
  apply("SET t v PX 10");
  const auto before = lattices::from_bytes<std::vector<std::uint64_t>>(
      machine.query(encode(LinearOp{LinearOp::Kind::watch, 0, {parse("WATCH t")}, {}})));
  at += 11;  // strictly past the expiry
  tx.commands = {parse("SET t w")};
  tx.watched = {{"t", before[0]}};
  tx.wall_ms = at;
  EXPECT_EQ(machine.apply(encode(tx)), "*-1\r\n");
}

TEST_F(Machine, AnOpCarriesItsConnectionsProtocolAndOneOfResp2EncodesAsBefore) {
  LinearOp get;
  get.wall_ms = at;
  get.commands.push_back(parse("GET nothing"));
  const std::string resp2 = encode(get);
  get.protocol = Protocol::resp3;
  const std::string resp3 = encode(get);
  // They differ in the kind's byte only, which is the kind (command: 0) as before RESP3
  // existed, and has the top bit set for RESP3.
  ASSERT_EQ(resp2.size(), resp3.size());
  std::size_t kind_at = 0;
  while (kind_at < resp2.size() && resp2[kind_at] == resp3[kind_at]) ++kind_at;
  ASSERT_LT(kind_at, resp2.size());
  EXPECT_EQ(resp2[kind_at], '\0');
  EXPECT_EQ(resp3[kind_at], static_cast<char>(LinearOp::resp3_bit));
  EXPECT_EQ(resp2.substr(kind_at + 1), resp3.substr(kind_at + 1));
  EXPECT_EQ(decode_linear_op(resp3).protocol, Protocol::resp3);
  EXPECT_EQ(decode_linear_op(resp3).kind, LinearOp::Kind::command);
  EXPECT_EQ(machine.apply(resp2), "$-1\r\n");
  EXPECT_EQ(machine.apply(resp3), "_\r\n");
  EXPECT_EQ(machine.query(resp3), "_\r\n");
  // An unknown kind is refused with the bit set too.
  std::string bad = resp3;
  bad[kind_at] = static_cast<char>(LinearOp::resp3_bit | 0x7f);
  EXPECT_THROW(decode_linear_op(bad), lattices::DecodeError);
}

/// One small entry cannot make every replica build (and keep) a huge reply: past the bound,
/// the transaction still runs, alike everywhere, and its reply is an error.
TEST_F(Machine, ATransactionWhoseRepliesPassTheBoundRunsAndAnswersWithAnError) {
  apply("SET big " + std::string(60 * 1024, 'x'));
  LinearOp tx;
  tx.kind = LinearOp::Kind::transaction;
  tx.wall_ms = at;
  for (int i = 0; i < 200; ++i) tx.commands.push_back(parse("GET big"));  // 12 MB of replies
  tx.commands.push_back(parse("INCR after"));
  EXPECT_EQ(machine.apply(encode(tx)).substr(0, 50),
            "-ERR calm-kvs: the transaction ran, but its replie");
  EXPECT_EQ(read("GET after"), "$1\r\n1\r\n");
}

TEST_F(Machine, AReadRunsOnlyReadOnlyCommandsAndAnEntryThatDoesNotDecodeChangesNothing) {
  EXPECT_EQ(read("SET k v").substr(0, 40), "-ERR calm-kvs: only a read-only command ");
  EXPECT_EQ(read("GET k"), "$-1\r\n");
  EXPECT_EQ(machine.apply("garbage").substr(0, 44), "-ERR calm-kvs: a log entry that does not dec");
  EXPECT_EQ(machine.keys(), 0u);
}

/// Two machines fed the same entries reach the same bytes; a snapshot restored elsewhere goes
/// on alike; a snapshot that does not decode changes nothing.
TEST_F(Machine, ReplicasThatApplyTheSameEntriesAgreeAndSnapshotsCarryOn) {
  LinearMachine other;
  const std::vector<std::string> lines = {
      "SADD s a b c d e f", "SPOP s 2", "SET k v PX 500", "INCR n",
      "HSETNX h f v",       "SPOP s",   "EXPIRE n 1"};
  for (const std::string& line : lines) {
    at += 7;
    EXPECT_EQ(machine.apply(op(line, at)), other.apply(op(line, at))) << line;
  }
  EXPECT_EQ(machine.snapshot(), other.snapshot());
  LinearMachine restored;
  restored.restore(machine.snapshot());
  EXPECT_EQ(restored.snapshot(), machine.snapshot());
  at += 400;
  for (const char* line : {"SPOP s", "GET k", "TTL k", "INCR n"}) {
    EXPECT_EQ(restored.apply(op(line, at)), machine.apply(op(line, at))) << line;
  }
  const std::string kept = restored.snapshot();
  EXPECT_THROW(restored.restore(kept.substr(0, kept.size() / 2)), lattices::DecodeError);
  EXPECT_EQ(restored.snapshot(), kept);
  // A snapshot whose clock is at its very end (its last 12 bytes: wall ms, logical) decodes,
  // but no write could follow it: refused (found in review: the next SET threw, and the
  // replica ended), and nothing changes.
  std::string stuck = kept;
  stuck.replace(stuck.size() - 12, 12, std::string(12, '\xff'));
  EXPECT_THROW(restored.restore(stuck), lattices::DecodeError);
  EXPECT_EQ(restored.snapshot(), kept);
  std::string late = kept;  // the same clock a tick earlier still works
  late.replace(late.size() - 12, 12, std::string(11, '\xff') + '\x7f');
  restored.restore(late);
  EXPECT_EQ(restored.apply(op("SET k w", at)), "+OK\r\n");
}

// ---- Router ----

/// A log that applies in order when told to (`deliver`), as a leader's replies come later.
class FakeLog final : public Coordination {
 public:
  void submit(LinearOp op, bool read, std::function<void(bool, std::string)> done) override {
    if (refuse_at_once) return done(false, "BUSY test");  // as LogCoordination out of lanes
    queue.push_back({std::move(op), read, std::move(done)});
  }
  void deliver() {
    while (!queue.empty()) {
      // A read-index read may be answered before writes submitted ahead of it.
      auto next = queue.begin();
      if (reads_first) {
        next = std::find_if(queue.begin(), queue.end(), [](const Entry& e) { return e.read; });
        if (next == queue.end()) next = queue.begin();
      }
      auto [op, read, done] = std::move(*next);
      queue.erase(next);
      ++submitted;
      if (down) {
        done(false, "NOQUORUM test");
        continue;
      }
      op.wall_ms = 1000;
      const std::string bytes = encode(op);
      done(true, read ? machine.query(bytes) : machine.apply(bytes));
    }
  }
  struct Entry {
    LinearOp op;
    bool read;
    std::function<void(bool, std::string)> done;
  };
  std::deque<Entry> queue;
  LinearMachine machine;
  std::size_t submitted = 0;
  bool down = false;
  bool refuse_at_once = false;
  bool reads_first = false;
};

/// A connection's replies: now, or in a slot filled later.
class Connection final : public Replies {
 public:
  std::string& now() override {
    if (slots.empty() || !slots.back().second) slots.push_back({std::string(), true});
    return slots.back().first;
  }
  std::function<void(std::string)> later() override {
    slots.push_back({std::string(), false});
    const std::size_t at = slots.size() - 1;
    return [this, at](std::string bytes) { slots[at] = {std::move(bytes), true}; };
  }
  /// Everything, in order, when every reply is there.
  std::string text() const {
    std::string out;
    for (const auto& [bytes, ready] : slots) {
      if (!ready) return out + "<waiting>";
      out += bytes;
    }
    return out;
  }
  std::deque<std::pair<std::string, bool>> slots;
};

class Routing : public ::testing::Test {
 protected:
  std::string run(const std::string& line, const std::shared_ptr<Session>& on = nullptr) {
    Connection c;
    router.execute(parse(line), on ? on : session, c);
    router.end_turn(on ? on : session);
    log.deliver();
    return c.text();
  }
  MemoryKeyspace keyspace;
  CommandProcessor processor{keyspace, 1};
  FakeLog log;
  Router router{processor, &log, KeyClasses("lock:*,id:*")};
  std::shared_ptr<Session> session = std::make_shared<Session>();
};

TEST_F(Routing, EachKeyGoesToItsClass) {
  EXPECT_EQ(run("CALM.CLASS lock:1"), "$12\r\nlinearizable\r\n");
  EXPECT_EQ(run("CALM.CLASS other"), "$17\r\ncoordination-free\r\n");
  EXPECT_EQ(run("SET lock:1 a NX PX 1000"), "+OK\r\n");
  EXPECT_EQ(run("SET lock:1 b NX"), "$-1\r\n");
  EXPECT_EQ(run("INCR id:x"), ":1\r\n");
  EXPECT_EQ(run("INCR plain"), ":1\r\n");
  EXPECT_EQ(run("GET lock:1"), "$1\r\na\r\n");
  EXPECT_EQ(log.submitted, 4u);
  EXPECT_TRUE(keyspace.find("lock:1") == nullptr);  // never on the CRDT side
  EXPECT_EQ(log.machine.keys(), 2u);
  EXPECT_EQ(router.counters().coordinated, 4u);
  EXPECT_EQ(router.counters().coordination_free, 1u);
}

TEST_F(Routing, SetexPsetexAndGetexAreCoordinatedExpiryAndGetexAloneIsAGet) {
  EXPECT_EQ(run("SETEX lock:s 100 v"), "+OK\r\n");
  EXPECT_EQ(run("TTL lock:s"), ":100\r\n");
  EXPECT_EQ(run("PSETEX lock:p 5000 w"), "+OK\r\n");
  EXPECT_EQ(run("GET lock:p"), "$1\r\nw\r\n");
  EXPECT_EQ(run("SETEX lock:s 0 v"), "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(run("PSETEX lock:s -1 v"), "-ERR invalid expire time in 'psetex' command\r\n");
  EXPECT_EQ(run("SETEX lock:s x v"), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(run("GETEX lock:s PERSIST"), "$1\r\nv\r\n");
  EXPECT_EQ(run("TTL lock:s"), ":-1\r\n");
  EXPECT_EQ(run("GETEX lock:s EX 50"), "$1\r\nv\r\n");
  EXPECT_EQ(run("TTL lock:s"), ":50\r\n");
  EXPECT_EQ(run("GETEX lock:s EX 5 PX 5"), "-ERR syntax error\r\n");
  EXPECT_EQ(run("GETEX lock:s EX 0"), "-ERR invalid expire time in 'getex' command\r\n");
  EXPECT_EQ(run("GETEX lock:none EX 5"), "$-1\r\n");
  EXPECT_EQ(run("GETEX lock:s EXAT 1"), "$1\r\nv\r\n");  // in the past: the key goes
  EXPECT_EQ(run("EXISTS lock:s"), ":0\r\n");
  // On a coordination-free key they are writes of the key's expiry register, run there.
  EXPECT_EQ(run("SETEX free 10 v"), "+OK\r\n");
  EXPECT_EQ(run("TTL free"), ":10\r\n");
  EXPECT_EQ(run("GETEX free"), "$1\r\nv\r\n");
  EXPECT_EQ(run("GETEX free PX 20000"), "$1\r\nv\r\n");
  EXPECT_EQ(run("TTL free"), ":20\r\n");
}

TEST_F(Routing, IncrbyfloatAndHincrbyfloatSumAsRedisOnBothClasses) {
  // Redis 7.0.15's replies (long double, printed with 17 decimals and trailing zeros cut).
  EXPECT_EQ(run("INCRBYFLOAT lock:f 10.5"), "$4\r\n10.5\r\n");
  EXPECT_EQ(run("INCRBYFLOAT lock:f 0.1"), "$4\r\n10.6\r\n");
  EXPECT_EQ(run("INCRBYFLOAT lock:f -5.0e3"), "$23\r\n-4989.39999999999999991\r\n");
  EXPECT_EQ(run("INCRBYFLOAT lock:f abc"), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(run("INCRBYFLOAT lock:f inf"), "-ERR increment would produce NaN or Infinity\r\n");
  EXPECT_EQ(run("HINCRBYFLOAT lock:h a 1.5"), "$3\r\n1.5\r\n");
  EXPECT_EQ(run("HINCRBYFLOAT lock:h a 1e2"), "$5\r\n101.5\r\n");
  EXPECT_EQ(run("HINCRBYFLOAT lock:h a inf"), "-ERR value is NaN or Infinity\r\n");
  EXPECT_EQ(run("HSET lock:h b word"), ":1\r\n");
  EXPECT_EQ(run("HINCRBYFLOAT lock:h b 1"), "-ERR hash value is not a float\r\n");
  // A coordination-free key counts decimals instead (docs/kvs.md), without the log.
  const std::size_t submitted = log.submitted;
  EXPECT_EQ(run("INCRBYFLOAT free 1.5"), "$3\r\n1.5\r\n");
  EXPECT_EQ(run("HINCRBYFLOAT freeh a 1.5"), "$3\r\n1.5\r\n");
  EXPECT_EQ(log.submitted, submitted);
}

TEST_F(Routing, ConnectionCommandsMakeATransactionCoordinationFreeAndNeverReachTheLog) {
  // The log's machine has no connections: a PUBLISH there would reach nobody, and an AUTH's
  // password would be written into the log.
  EXPECT_EQ(run("MULTI"), "+OK\r\n");
  EXPECT_EQ(run("SET lock:1 v"), "+QUEUED\r\n");
  for (const std::string command : {"PUBLISH ch m", "AUTH secret", "CLIENT ID", "SUBSCRIBE ch"}) {
    EXPECT_EQ(run(command).substr(0, 22), "-ERR not queued: " + command.substr(0, 5)) << command;
  }
  EXPECT_EQ(run("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(run("MULTI"), "+OK\r\n");
  EXPECT_EQ(run("PUBLISH ch m"), "+QUEUED\r\n");
  EXPECT_EQ(run("SET lock:1 v").substr(0, 60),
            "-ERR not queued: a transaction's keys must all be of one con");
  EXPECT_EQ(run("DISCARD"), "+OK\r\n");
  EXPECT_EQ(log.submitted, 0u);
}

TEST_F(Routing, ALinearizableKeysRepliesComeInTheProtocolOfTheirTurnAcrossAHello) {
  run("SET lock:1 a");
  // One turn: a read of the log, HELLO 3, the same read: the log's reply to each is in the
  // protocol the connection had when it sent it.
  Connection c;
  for (const char* line : {"HGETALL lock:2", "HELLO 3", "HGETALL lock:2", "GET lock:9"}) {
    router.execute(parse(line), session, c);
  }
  router.end_turn(session);
  log.deliver();
  const std::string text = c.text();
  EXPECT_EQ(text.substr(0, 4), "*0\r\n");
  EXPECT_NE(text.find("%7\r\n"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 7), "%0\r\n_\r\n");
  // A transaction aborted by a watch answers RESP3's null.
  run("WATCH lock:1");
  run("SET lock:1 b", std::make_shared<Session>());  // another connection
  run("MULTI");
  run("GET lock:1");
  EXPECT_EQ(run("EXEC"), "_\r\n");
}

TEST_F(Routing, CLIENTLISTNamesOnlyKnownCommandsAsTheLastOne) {
  run("GET a");
  EXPECT_EQ(session->last_command, "get");
  Connection c;
  router.execute({"x\nid=1 addr=forged"}, session, c);  // unknown: not recorded
  EXPECT_EQ(session->last_command, "get");
}

TEST(RoutingWithAPassword, AStrangerRunsOnlyAuthHelloAndQuitAndLearnsNothing) {
  MemoryKeyspace keyspace;
  ServerFacts facts;
  facts.password = "hunter2";
  CommandProcessor processor{keyspace, 1, facts};
  FakeLog log;
  Router router{processor, &log, KeyClasses("lock:*")};
  auto session = std::make_shared<Session>();
  session->authenticated = false;
  const auto run = [&](const Request& request) {
    Connection c;
    router.execute(request, session, c);
    router.end_turn(session);
    log.deliver();
    return c.text();
  };
  const std::string noauth = "-NOAUTH Authentication required.\r\n";
  const std::string wrong = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
  for (const Request& request :
       {Request{"GET", "k"}, Request{"SET", "k", "v"}, Request{"SET", "lock:1", "v"},
        Request{"CALM.CLASS", "k"}, Request{"MULTI"}, Request{"CLIENT", "SETNAME", "x"},
        Request{"PING"}}) {
    EXPECT_EQ(run(request), noauth) << request[0];
  }
  // As Redis, an unknown command and a wrong arity are told before the password is asked for.
  EXPECT_EQ(run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(run({"NOSUCH"}).substr(0, 21), "-ERR unknown command ");
  EXPECT_EQ(run({"AUTH", "hunter"}), wrong);
  EXPECT_EQ(run({"AUTH", "hunter22"}), wrong);
  EXPECT_EQ(run({"AUTH", "root", "hunter2"}), wrong);
  EXPECT_EQ(run({"HELLO", "2"}).substr(0, 35), "-NOAUTH HELLO must be called with t");
  EXPECT_EQ(run({"HELLO", "3", "AUTH", "default", "x"}), wrong);
  EXPECT_FALSE(session->authenticated);
  EXPECT_EQ(log.submitted, 0u);
  EXPECT_TRUE(keyspace.find("k") == nullptr);
  EXPECT_EQ(router.error_stats().at("WRONGPASS"), 4u);

  EXPECT_EQ(run({"AUTH", "default", "hunter2"}), "+OK\r\n");
  EXPECT_TRUE(session->authenticated);
  EXPECT_EQ(run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(run({"AUTH", "wrong"}), wrong);  // a wrong AUTH later keeps the connection's
  EXPECT_EQ(run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(run({"RESET"}), "+RESET\r\n");  // back to a stranger, as Redis's default user
  EXPECT_FALSE(session->authenticated);
  EXPECT_EQ(run({"GET", "k"}), noauth);

  auto other = std::make_shared<Session>();
  other->authenticated = false;
  session = other;
  EXPECT_EQ(run({"HELLO", "2", "SETNAME", "me", "AUTH", "default", "hunter2"}).substr(0, 4),
            "*14\r");
  EXPECT_TRUE(session->authenticated);
  EXPECT_EQ(session->name, "me");
}

TEST(RoutingWithoutAPassword, AuthSaysNoneIsSetAndTheDefaultUserTakesAnyPassword) {
  MemoryKeyspace keyspace;
  CommandProcessor processor{keyspace, 1};
  Session session;
  const auto run = [&](const Request& request) {
    std::string reply;
    processor.execute(request, session, reply);
    return reply;
  };
  EXPECT_EQ(run({"AUTH", "x"}),
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?\r\n");
  EXPECT_EQ(run({"AUTH", "default", "anything"}), "+OK\r\n");
  EXPECT_EQ(run({"AUTH", "someone", "anything"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(run({"AUTH", "a", "b", "c"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"HELLO", "2", "FOO"}), "-ERR Syntax error in HELLO option 'FOO'\r\n");
  EXPECT_EQ(run({"HELLO", "2", "AUTH", "default"}), "-ERR Syntax error in HELLO option 'AUTH'\r\n");
  EXPECT_EQ(run({"HELLO", "2", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(run({"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(run({"HELLO", "2", "SETNAME", "n"}).substr(0, 4), "*14\r");
  EXPECT_EQ(session.name, "n");
}

TEST_F(Routing, CountsEachCommandsCallsRefusalsAndErrorsForInfo) {
  const auto names = CommandProcessor::command_names();
  const auto stat = [&](const std::string& name) {
    const auto at = std::find(names.begin(), names.end(), name) - names.begin();
    return router.command_stats().at(static_cast<std::size_t>(at));
  };
  run("GET a");
  run("GET lock:1");    // through the log: counted, its time in the log not
  run("GET");           // wrong arity: rejected before it runs
  run("SETNX free v");  // a class refusal: rejected
  run("SET s v");
  run("INCR s");  // "v" is not an integer: an ERR reply
  run("NOSUCH x");
  EXPECT_EQ(stat("get").calls, 2u);
  EXPECT_EQ(stat("get").rejected, 1u);
  EXPECT_EQ(stat("setnx").rejected, 1u);
  EXPECT_EQ(stat("setnx").calls, 0u);
  EXPECT_EQ(stat("incr").calls, 1u);
  EXPECT_EQ(stat("incr").failed, 1u);
  EXPECT_EQ(router.counters().processed, 7u);
  EXPECT_EQ(router.counters().error_replies, 4u);  // arity, refusal, INCR, unknown command
  EXPECT_EQ(router.error_stats().at("ERR"), 4u);
  run("SADD s x");
  EXPECT_EQ(router.error_stats().at("WRONGTYPE"), 1u);
  // Every path's errors count, and the commands an EXEC runs count as calls.
  run("MSET free 1 lock:a 2");  // keys of two classes: refused
  EXPECT_EQ(router.error_stats().at("ERR"), 5u);
  run("MULTI");
  run("INCR counted");
  run("SADD s y");
  EXPECT_EQ(run("EXEC"),
            "*2\r\n:1\r\n-WRONGTYPE Operation against a key holding the wrong "
            "kind of value\r\n");
  EXPECT_EQ(stat("incr").calls, 2u);
  EXPECT_EQ(stat("exec").calls, 1u);
  EXPECT_EQ(router.error_stats().at("WRONGTYPE"), 2u);
  run("EXEC");  // without MULTI
  EXPECT_EQ(router.error_stats().at("ERR"), 6u);
}

TEST_F(Routing, CoordinationOnAFreeKeyAndMixedClassesAreRefusedAndChangeNothing) {
  EXPECT_EQ(run("SETNX free v"),
            "-ERR SETNX needs coordination, but key 'free' is coordination-free: start calm-kvs "
            "with --linearizable PATTERN matching it (now: 'lock:*,id:*')\r\n");
  EXPECT_EQ(run("SET free v NX").substr(0, 40), "-ERR SET needs coordination, but key 'fr");
  EXPECT_EQ(run("EXPIRE free 10 GT").substr(0, 40), "-ERR EXPIRE needs coordination, but key ");
  EXPECT_EQ(run("MSET free 1 lock:a 2"),
            "-ERR a command's keys must all be of one consistency class: key 'free' is "
            "coordination-free, key 'lock:a' is linearizable\r\n");
  EXPECT_EQ(run("RENAME lock:a free").substr(0, 50),
            "-ERR a command's keys must all be of one consisten");
  EXPECT_EQ(run("WATCH free").substr(0, 40), "-ERR WATCH needs coordination, but key '");
  EXPECT_TRUE(keyspace.values.empty());
  EXPECT_EQ(log.submitted, 0u);
  EXPECT_EQ(router.counters().refused, 6u);
}

TEST_F(Routing, TheNewCommandsGoToTheirKeysClass) {
  EXPECT_EQ(run("MSETNX lock:a 1 lock:b 2"), ":1\r\n");
  EXPECT_EQ(run("COPY lock:a lock:c"), ":1\r\n");
  EXPECT_EQ(run("GET lock:c"), "$1\r\n1\r\n");
  EXPECT_EQ(log.submitted, 3u);
  EXPECT_EQ(run("MSETNX free 1").substr(0, 46), "-ERR MSETNX needs coordination, but key 'free'");
  EXPECT_EQ(run("COPY free other").substr(0, 44), "-ERR COPY needs coordination, but key 'free'");
  EXPECT_EQ(run("COPY lock:a free").substr(0, 50),
            "-ERR a command's keys must all be of one consisten");
  EXPECT_EQ(run("SINTERCARD 2 lock:a free").substr(0, 50),
            "-ERR a command's keys must all be of one consisten");
  EXPECT_EQ(run("SETRANGE free 0 x"), ":1\r\n");
  EXPECT_EQ(run("SETBIT lock:b 0 1"), ":0\r\n");
  EXPECT_EQ(run("RANDOMKEY"), "$4\r\nfree\r\n");  // the coordination-free keys only
  EXPECT_TRUE(keyspace.find("lock:a") == nullptr);
  EXPECT_EQ(log.submitted, 4u);
}

TEST_F(Routing, AFreeTransactionRunsAtExecAllAtOnce) {
  EXPECT_EQ(run("MULTI"), "+OK\r\n");
  EXPECT_EQ(run("SET a 1"), "+QUEUED\r\n");
  EXPECT_EQ(run("INCR a"), "+QUEUED\r\n");
  EXPECT_TRUE(keyspace.values.empty());  // nothing before EXEC
  EXPECT_EQ(run("EXEC"), "*2\r\n+OK\r\n:2\r\n");
  EXPECT_EQ(run("EXEC"), "-ERR EXEC without MULTI\r\n");
  run("MULTI");
  run("SET b 1");
  EXPECT_EQ(run("DISCARD"), "+OK\r\n");
  EXPECT_EQ(run("GET b"), "$-1\r\n");
}

TEST_F(Routing, AFreeTransactionWhoseRepliesPassTheBoundRunsWholeAndRepliesAnError) {
  const std::string value(60 * 1024, 'v');
  run("SET big " + value);
  run("MULTI");
  for (std::size_t i = 0; i <= reply_bytes_max / value.size(); ++i) run("GET big");
  run("INCR after");  // queued behind the replies past the bound: it still runs
  EXPECT_EQ(run("EXEC"),
            "-ERR calm-kvs: the transaction ran, but its replies exceed 67108864 bytes: read "
            "large values on their own\r\n");
  EXPECT_EQ(run("GET after"), "$1\r\n1\r\n");
  run("MULTI");
  run("GET big");
  run("INCR after");
  EXPECT_EQ(run("EXEC").substr(0, 11), "*2\r\n$61440\r");
}

TEST_F(Routing, ALinearizableTransactionIsOneLogEntry) {
  run("MULTI");
  EXPECT_EQ(run("INCR id:a"), "+QUEUED\r\n");
  EXPECT_EQ(run("SET lock:b x NX"), "+QUEUED\r\n");
  EXPECT_EQ(log.submitted, 0u);
  EXPECT_EQ(run("EXEC"), "*2\r\n:1\r\n+OK\r\n");
  EXPECT_EQ(log.submitted, 1u);
}

TEST_F(Routing, ATransactionThatMixesClassesOrQueuesAnErrorIsDiscarded) {
  run("MULTI");
  EXPECT_EQ(run("INCR id:a"), "+QUEUED\r\n");
  EXPECT_EQ(run("INCR free").substr(0, 30), "-ERR not queued: a transaction");
  EXPECT_EQ(run("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  run("MULTI");
  EXPECT_EQ(run("SETNX free x").substr(0, 30), "-ERR SETNX needs coordination,");
  EXPECT_EQ(run("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  run("MULTI");
  EXPECT_EQ(run("NOSUCH x").substr(0, 25), "-ERR unknown command 'NOS");
  EXPECT_EQ(run("MULTI"), "-ERR MULTI calls can not be nested\r\n");
  EXPECT_EQ(run("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(log.submitted, 0u);
  EXPECT_TRUE(keyspace.values.empty());
}

TEST_F(Routing, WatchAbortsATransactionWhenAnotherClientChangedTheKey) {
  EXPECT_EQ(run("WATCH lock:w"), "+OK\r\n");
  run("MULTI");
  run("SET lock:w mine");
  auto other = std::make_shared<Session>();
  EXPECT_EQ(run("SET lock:w theirs", other), "+OK\r\n");
  EXPECT_EQ(run("EXEC"), "*-1\r\n");
  EXPECT_EQ(run("GET lock:w"), "$6\r\ntheirs\r\n");
  // Unchanged: it runs; and EXEC forgets the watch.
  EXPECT_EQ(run("WATCH lock:w"), "+OK\r\n");
  run("MULTI");
  run("SET lock:w mine");
  EXPECT_EQ(run("EXEC"), "*1\r\n+OK\r\n");
  EXPECT_TRUE(session->watches.empty());
  EXPECT_EQ(run("WATCH lock:w"), "+OK\r\n");
  EXPECT_EQ(run("UNWATCH"), "+OK\r\n");
  EXPECT_TRUE(session->watches.empty());
}

/// redis-py's optimistic locking pipelines WATCH, MULTI, the commands and EXEC: the EXEC
/// must wait for WATCH's tokens even when its reply comes later.
TEST_F(Routing, AnExecPipelinedBehindItsWatchWaitsForTheWatch) {
  Connection c;
  for (const char* line : {"WATCH id:p", "MULTI", "INCR id:p", "EXEC"}) {
    router.execute(parse(line), session, c);
  }
  router.end_turn(session);
  EXPECT_EQ(log.queue.size(), 1u);  // the WATCH read; EXEC waits for it
  log.deliver();
  EXPECT_EQ(c.text(), "+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n");
  EXPECT_EQ(log.submitted, 2u);
}

/// A connection's requests to the log take effect in its order: a pipeline's commands of one
/// turn are one entry, and a command behind a waiting EXEC waits too (Redis: WATCH k, MULTI,
/// INCR k, EXEC, SET k 0 leaves k at 0 and EXEC answers [1]).
TEST_F(Routing, APipelinesLinearizableCommandsTakeEffectInItsOrder) {
  Connection c;
  log.reads_first = true;
  for (const char* line : {"SET id:o 5", "GET id:o", "INCR id:o", "GET id:o"}) {
    router.execute(parse(line), session, c);
  }
  router.end_turn(session);
  EXPECT_EQ(log.queue.size(), 1u);  // one entry
  log.deliver();
  log.reads_first = false;
  EXPECT_EQ(c.text(), "+OK\r\n$1\r\n5\r\n:6\r\n$1\r\n6\r\n");
  Connection d;
  for (const char* line : {"WATCH id:w", "MULTI", "INCR id:w", "EXEC", "SET id:w 0"}) {
    router.execute(parse(line), session, d);
  }
  router.end_turn(session);
  log.deliver();
  EXPECT_EQ(d.text(), "+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n+OK\r\n");
  EXPECT_EQ(run("GET id:w"), "$1\r\n0\r\n");
  // Many requests refused at once, queued behind one in flight, run one after the other
  // without recursing once per request.
  Connection e;
  router.execute(parse("WATCH id:x"), session, e);
  log.refuse_at_once = true;
  for (int i = 0; i < 100000; ++i) router.execute(parse("WATCH id:x"), session, e);
  router.end_turn(session);
  log.deliver();
  EXPECT_EQ(e.text().size(),
            std::string("+OK\r\n").size() + 100000 * std::string("-BUSY test\r\n").size());
  log.refuse_at_once = false;
}

/// Consecutive linearizable commands of a turn share one place for their replies (one piece
/// to write when the log answers), and a coordination-free reply between them keeps its place.
TEST_F(Routing, ConsecutiveLinearizableRepliesShareOnePlaceInOrder) {
  Connection c;
  for (const char* line : {"INCR id:r", "INCR id:r", "INCR id:r", "SET free 1", "INCR id:r",
                           "GET free", "INCR id:r", "INCR id:r"}) {
    router.execute(parse(line), session, c);
  }
  router.end_turn(session);
  EXPECT_EQ(log.queue.size(), 1u);  // one entry
  // Three runs of linearizable replies and two free replies: five places.
  ASSERT_EQ(c.slots.size(), 5u);
  EXPECT_EQ(c.text(), "<waiting>");
  log.deliver();
  EXPECT_EQ(c.text(), ":1\r\n:2\r\n:3\r\n+OK\r\n:4\r\n$1\r\n1\r\n:5\r\n:6\r\n");
  EXPECT_EQ(c.slots[0].first, ":1\r\n:2\r\n:3\r\n");
  // A refusal fills every run with one error per command.
  Connection d;
  log.refuse_at_once = true;
  for (const char* line : {"INCR id:r", "INCR id:r", "SET free 2", "INCR id:r"}) {
    router.execute(parse(line), session, d);
  }
  router.end_turn(session);
  log.refuse_at_once = false;
  EXPECT_EQ(d.text(), "-BUSY test\r\n-BUSY test\r\n+OK\r\n-BUSY test\r\n");
}

/// A WATCH pipelined behind an EXEC belongs to the next transaction, even when both WATCHes
/// are answered before the first transaction is sent; UNWATCH drops a WATCH still under way.
TEST_F(Routing, AWatchAfterAnExecIsTheNextTransactionsOnly) {
  Connection c;
  for (const char* line : {"WATCH lock:a", "MULTI", "SET lock:a 1", "EXEC", "WATCH lock:b"}) {
    router.execute(parse(line), session, c);
  }
  router.end_turn(session);
  log.deliver();
  EXPECT_EQ(c.text(), "+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n+OK\r\n");
  auto other = std::make_shared<Session>();
  EXPECT_EQ(run("SET lock:b other", other), "+OK\r\n");
  run("MULTI");
  run("SET lock:b mine");
  EXPECT_EQ(run("EXEC"), "*-1\r\n");  // lock:b changed after its WATCH
  EXPECT_EQ(run("GET lock:b"), "$5\r\nother\r\n");
  Connection d;
  router.execute(parse("WATCH lock:c"), session, d);
  router.execute(parse("UNWATCH"), session, d);
  router.end_turn(session);
  log.deliver();
  EXPECT_TRUE(session->watches.empty());
  EXPECT_EQ(run("SET lock:c x", other), "+OK\r\n");
  run("MULTI");
  run("SET lock:c mine");
  EXPECT_EQ(run("EXEC"), "*1\r\n+OK\r\n");  // nothing watched any more
}

TEST_F(Routing, AnUnreachableLogIsAnErrorAndAFailedWatchAbortsExec) {
  log.down = true;
  EXPECT_EQ(run("INCR id:a"), "-NOQUORUM test\r\n");
  EXPECT_EQ(run("WATCH id:a"), "-NOQUORUM test\r\n");
  log.down = false;
  run("MULTI");
  run("INCR id:a");
  EXPECT_EQ(run("EXEC"), "*-1\r\n");
  EXPECT_EQ(run("GET id:a"), "$-1\r\n");
  EXPECT_EQ(run("INCR plain"), ":1\r\n");  // the free side is served throughout
}

TEST(KeyClasses, PatternsAreCommaSeparatedGlobs) {
  const KeyClasses classes("lock:*,id:?,exact");
  EXPECT_EQ(classes.of("lock:x"), Consistency::linearizable);
  EXPECT_EQ(classes.of("id:1"), Consistency::linearizable);
  EXPECT_EQ(classes.of("id:12"), Consistency::coordination_free);
  EXPECT_EQ(classes.of("exact"), Consistency::linearizable);
  EXPECT_EQ(classes.of("other"), Consistency::coordination_free);
  EXPECT_FALSE(KeyClasses("").any_linearizable());
  EXPECT_FALSE(KeyClasses(",,").any_linearizable());
}

}  // namespace
}  // namespace calm::apps::kvs
