// The work a command does in its arguments, counted in heap allocations (deterministic, unlike
// time): a command over N fields, members or keys makes O(N) of them, never O(N^2), and writes
// each key once. The counting operator new (tests/support/counting_new.cpp) is this binary's alone.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "../support/counting_new.hpp"
#include "memory_keyspace.hpp"

namespace calm::apps::kvs {
namespace {

/// Allocations a linear command may make per argument and per element it reads: a few per
/// string it keeps (the value, the delta, the reply), with room for vectors doubling.
constexpr std::size_t allocations_per_item_max = 48;

/// Names longer than the strings' inline buffer, so that each copy allocates.
std::string word(const char* kind, std::size_t i) {
  char text[48];
  std::snprintf(text, sizeof text, "%s-%020zu", kind, i);
  return text;
}

/// `name key` then, for i < n, `kind-i` (and `value-i` when pairs).
Request request(const char* name, const char* key, const char* kind, std::size_t n, bool pairs) {
  Request r{name};
  if (key) r.emplace_back(key);
  for (std::size_t i = 0; i < n; ++i) {
    r.push_back(word(kind, i));
    if (pairs) r.push_back(word("value", i));
  }
  return r;
}

/// The allocations of `make(n)` run on a fresh processor after `setup(n)`, for n and 2n: linear
/// when doubling n about doubles them (quadratic would quadruple), and each argument and each
/// element the key holds costs a bounded number.
template <class Setup, class Make>
void expect_linear(Setup setup, Make make, std::size_t n) {
  std::size_t counts[2] = {};
  for (int doubled = 0; doubled < 2; ++doubled) {
    const std::size_t size = n << doubled;
    MemoryKeyspace keyspace;
    keyspace.keep_deltas = false;
    CommandProcessor processor{keyspace, 1};
    Session session;
    std::string reply;
    setup(processor, session, size);
    const Request request = make(size);
    const std::size_t writes_before = keyspace.writes;
    reply.reserve(1 << 16);
    const calm::testing_support::AllocationCount count;
    processor.execute(request, session, reply);
    counts[doubled] = count.calls();
    EXPECT_EQ(reply.substr(0, 1) == "-", false) << reply;
    EXPECT_LE(keyspace.writes - writes_before,
              request[0] == "MSET" || request[0] == "DEL" ? size : std::size_t{1})
        << request[0] << ": one write per key";
    EXPECT_LE(counts[doubled], allocations_per_item_max * (request.size() + size))
        << request[0] << " of " << size;
  }
  EXPECT_LE(counts[1], 3 * counts[0] + 64) << make(0)[0] << ": " << counts[0] << " then "
                                           << counts[1] << " allocations for twice the arguments";
}

const auto nothing = [](CommandProcessor&, Session&, std::size_t) {};
/// Runs `request(n)` first: the key holds what the command under test reads or removes.
template <class Make>
auto first(Make make) {
  return [make](CommandProcessor& p, Session& s, std::size_t n) {
    std::string reply;
    p.execute(make(n), s, reply);
  };
}

constexpr std::size_t n = 2000;

TEST(CommandWork, HsetAndHdelOfNFieldsAreLinearInN) {
  auto hset = [](std::size_t k) { return request("HSET", "h", "field", k, true); };
  auto hdel = [](std::size_t k) { return request("HDEL", "h", "field", k, false); };
  auto hmget = [](std::size_t k) { return request("HMGET", "h", "field", k, false); };
  expect_linear(nothing, hset, n);
  expect_linear(first(hset), hset, n);  // every field replaced
  expect_linear(first(hset), hdel, n);
  expect_linear(first(hset), hmget, n);
  expect_linear(
      first(hset),
      [](std::size_t) {
        return Request{"HGETALL", "h"};
      },
      n);
  expect_linear(
      first(hset),
      [](std::size_t) {
        return Request{"HVALS", "h"};
      },
      n);
}

TEST(CommandWork, SaddAndSremOfNMembersAreLinearInN) {
  auto sadd = [](std::size_t k) { return request("SADD", "s", "member", k, false); };
  auto srem = [](std::size_t k) { return request("SREM", "s", "member", k, false); };
  expect_linear(nothing, sadd, n);
  expect_linear(first(sadd), srem, n);
  expect_linear(
      first(sadd),
      [](std::size_t) {
        return Request{"SMEMBERS", "s"};
      },
      n);
  expect_linear(
      first(sadd), [](std::size_t k) { return request("SMISMEMBER", "s", "member", k, false); }, n);
}

TEST(CommandWork, ZaddZremAndZrangeOfNMembersAreLinearInN) {
  auto zadd = [](std::size_t k) {
    Request r{"ZADD", "z"};
    for (std::size_t i = 0; i < k; ++i) {
      r.push_back(std::to_string(i % 7) + ".5");
      r.push_back(word("member", i));
    }
    return r;
  };
  auto zrem = [](std::size_t k) { return request("ZREM", "z", "member", k, false); };
  auto zmscore = [](std::size_t k) { return request("ZMSCORE", "z", "member", k, false); };
  expect_linear(nothing, zadd, n);
  expect_linear(first(zadd), zadd, n);  // every score replaced
  expect_linear(first(zadd), zrem, n);
  expect_linear(first(zadd), zmscore, n);
  for (const char* read : {"ZRANGE", "ZREVRANGE"}) {
    expect_linear(
        first(zadd),
        [read](std::size_t) {
          return Request{read, "z", "0", "-1", "WITHSCORES"};
        },
        n);
  }
  expect_linear(
      first(zadd),
      [](std::size_t) {
        return Request{"ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"};
      },
      n);
  expect_linear(
      first(zadd),
      [](std::size_t) {
        return Request{"ZREMRANGEBYSCORE", "z", "(1", "+inf"};
      },
      n);
}

TEST(CommandWork, MsetAndDelOfNKeysAreLinearInN) {
  auto mset = [](std::size_t k) { return request("MSET", nullptr, "key", k, true); };
  auto del = [](std::size_t k) { return request("DEL", nullptr, "key", k, false); };
  auto mget = [](std::size_t k) { return request("MGET", nullptr, "key", k, false); };
  expect_linear(nothing, mset, n);
  expect_linear(first(mset), mget, n);
  expect_linear(first(mset), del, n);
}

TEST(CommandWork, LposAndLpopZeroReadOnlyWhatTheyAnswer) {
  // LPOS of an element at the end it searches from costs the same on a list twice as long
  // (Redis stops at the match too): the list is read a chunk at a time, not copied.
  for (const char* rank : {"1", "-1"}) {
    std::size_t counts[2] = {};
    for (int doubled = 0; doubled < 2; ++doubled) {
      const std::size_t size = n << doubled;
      MemoryKeyspace keyspace;
      keyspace.keep_deltas = false;
      CommandProcessor processor{keyspace, 1};
      Session session;
      std::string reply;
      processor.execute(request("RPUSH", "l", "item", size, false), session, reply);
      const std::string wanted = word("item", std::string(rank) == "1" ? 0 : size - 1);
      reply.clear();
      reply.reserve(1 << 10);
      const std::size_t writes_before = keyspace.writes;
      const calm::testing_support::AllocationCount count;
      processor.execute(Request{"LPOS", "l", wanted, "RANK", rank}, session, reply);
      counts[doubled] = count.calls();
      std::string position = ":";  // piece by piece: GCC 12 warns falsely on a chain of +
      position += std::to_string(std::string(rank) == "1" ? 0 : size - 1);
      position += "\r\n";
      EXPECT_EQ(reply, position);
      // LPOP l 0 answers an empty array and writes nothing, as Redis.
      reply.clear();
      processor.execute(Request{"LPOP", "l", "0"}, session, reply);
      EXPECT_EQ(reply, "*0\r\n");
      EXPECT_EQ(keyspace.writes, writes_before);
    }
    EXPECT_LE(counts[0], 16u) << "LPOS RANK " << rank;
    EXPECT_EQ(counts[0], counts[1]) << "LPOS RANK " << rank << " on a list twice as long";
  }
}

}  // namespace
}  // namespace calm::apps::kvs
