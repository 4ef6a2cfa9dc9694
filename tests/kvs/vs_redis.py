#!/usr/bin/env python3
"""calm-kvs against redis-server itself: the same commands, sent to both over RESP, must get the
same bytes back.

Two pairs run side by side, each a calm-kvs replica beside its own redis-server (no
persistence): in the first every key is coordination-free, in the second every key is
linearizable (`--linearizable '*'`, a Paxos log of one), so that the commands which need
agreement are compared too. Every command goes to both pairs:
- written scripts, per command family: every option, every error, wrong arity, wrong type,
  boundary integers (0, -1, LLONG_MIN, LLONG_MAX, one past each), empty and 1 MiB strings;
- every command calm-kvs knows, with no arguments and with too many;
- a seeded random walk of commands of every family on a few keys, so types collide.
Replies are compared byte for byte, except where tests/kvs/redis_differences.txt lists a
difference on purpose, with its reason; the test allows exactly those. A command that a
coordination-free key refuses goes to that pair's redis-server only when calm-kvs did not refuse
it, so the two stay equal.

Bounded: each start waits 20 s; each reply 10 s. usage: vs_redis.py CALM_KVS WORK_DIR [--seed S]
[--ops N]
"""
import argparse
import collections
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import (FAILURES, Conn, Replica, RespError, RespPush, fail,  # noqa: E402
                         ping, start_redis)
from ports import free_ports  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
I64_MAX, I64_MIN = "9223372036854775807", "-9223372036854775808"
PAST_MAX, PAST_MIN = "9223372036854775808", "-9223372036854775809"
# Integers as clients write them, right and wrong.
INTEGERS = ["0", "-1", "1", "3", "-3", I64_MAX, I64_MIN, PAST_MAX, PAST_MIN, "1.5", "", "+1",
            " 1", "1 ", "0x10", "1e3", "007", "-0", "abc"]
BIG = "x" * 1_000_000  # a long value calm-kvs takes (up to 1 MiB - 4 KiB: docs/kvs.md)
TOO_BIG = "x" * (1 << 20)  # one it refuses: its delta would not fit a replication message

CONNECTION = [
    ["PING"], ["PING", "hello"], ["PING", "a", "b"], ["ECHO", "e"], ["ECHO", ""], ["ECHO"],
    ["SELECT", "0"], ["SELECT", "1"], ["SELECT", "x"], ["SELECT", "-1"], ["SELECT", "0"],
    ["HELLO", "2", "SETNAME", "a b"], ["HELLO", "4"], ["HELLO", "x"],
    ["CLIENT", "SETNAME", "app"], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "a b"],
    ["CLIENT", "SETNAME"], ["CLIENT", "GETNAME", "x"], ["CLIENT", "NOSUCH"],
    # CLIENT ID, INFO and LIST name this connection's ids and ports (e2e.py checks them); their
    # errors and the kills that match nobody are compared here.
    ["CLIENT", "ID", "x"], ["CLIENT", "INFO", "x"], ["CLIENT", "KILL"],
    ["CLIENT", "KILL", "1.2.3.4:5"], ["CLIENT", "KILL", "ID"], ["CLIENT", "KILL", "ID", "0"],
    ["CLIENT", "KILL", "ID", "x"], ["CLIENT", "KILL", "ID", "-1"],
    ["CLIENT", "KILL", "ID", "99999"], ["CLIENT", "KILL", "ID", "1", "2"],
    ["CLIENT", "KILL", "TYPE", "foo"], ["CLIENT", "KILL", "TYPE", "pubsub"],
    ["CLIENT", "KILL", "TYPE", "master"], ["CLIENT", "KILL", "USER", "bob"],
    ["CLIENT", "KILL", "SKIPME", "maybe"], ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"],
    ["CLIENT", "KILL", "LADDR", "1.1.1.1:1"], ["CLIENT", "KILL", "MAXAGE", "1"],
    ["CLIENT", "LIST", "TYPE", "foo"], ["CLIENT", "LIST", "TYPE", "pubsub"],
    ["CLIENT", "LIST", "ID", "x"], ["CLIENT", "LIST", "ID", "0"], ["CLIENT", "LIST", "ID", "-1"],
    ["CLIENT", "LIST", "ID", "99999"],
    ["CLIENT", "LIST", "ID"], ["CLIENT", "LIST", "FOO"], ["CLIENT", "LIST", "TYPE", "normal", "ID", "1"],
    ["CONFIG", "GET", "databases"], ["CONFIG", "GET"], ["CONFIG", "NOSUCH"],
    ["CONFIG", "RESETSTAT"], ["CONFIG", "RESETSTAT", "x"],
    ["TIME"], ["TIME", "x"], ["ROLE"], ["ROLE", "x"], ["LASTSAVE"], ["LASTSAVE", "x"],
    ["COMMAND", "COUNT", "x"], ["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"],
    ["COMMAND", "GETKEYS", "GET"], ["COMMAND", "GETKEYS", "PING"], ["COMMAND", "GETKEYS"],
    ["COMMAND", "GETKEYS", "NOSUCH", "a"], ["COMMAND", "INFO", "nosuchcommand"],
    ["COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"],
    ["COMMAND", "GETKEYS", "SINTERCARD", "3", "a", "b"],
    ["COMMAND", "GETKEYS", "SINTERCARD", "0", "a"],
    ["COMMAND", "GETKEYS", "MSETNX", "a", "1", "b", "2"],
    ["COMMAND", "GETKEYS", "MSETNX", "a", "1", "b"],
    ["COMMAND", "GETKEYS", "COPY", "a", "b", "REPLACE"], ["COMMAND", "GETKEYS", "LCS", "a", "b"],
    ["COMMAND", "GETKEYS", "RANDOMKEY"], ["COMMAND", "GETKEYS", "BITCOUNT", "k", "0", "1"],
    ["DBSIZE"], ["DBSIZE", "x"], ["NOSUCHCOMMAND"], ["NOSUCHCOMMAND", "a", "b"], [""],
    ["get"], ["GeT", "nokey"],
]

STRINGS = [
    ["SET", "s", "v"], ["GET", "s"], ["GET", "nokey"], ["SET", "s", ""], ["GET", "s"],
    ["STRLEN", "s"], ["STRLEN", "nokey"], ["APPEND", "s", "ab"], ["APPEND", "s", ""],
    ["APPEND", "new", "x"], ["GET", "new"], ["SET", "big", BIG], ["STRLEN", "big"],
    ["APPEND", "big", "y"], ["GETRANGE", "big", "1048570", "-1"], ["GET", "big"],
    ["SET", "r", "Hello World"], ["GETRANGE", "r", "0", "4"], ["GETRANGE", "r", "-5", "-1"],
    ["GETRANGE", "r", "5", "2"], ["GETRANGE", "r", "-100", "100"], ["GETRANGE", "r", "0", "-100"],
    ["GETRANGE", "r", I64_MIN, I64_MAX], ["GETRANGE", "r", I64_MAX, I64_MIN],
    ["GETRANGE", "r", PAST_MAX, "1"], ["GETRANGE", "r", "a", "1"], ["GETRANGE", "nokey", "0", "1"],
    ["GETRANGE", "r", "0"],
    ["MSET", "m1", "1", "m2", "2"], ["MGET", "m1", "m2", "nokey", "m1"], ["MSET", "m1"],
    ["MSET", "m1", "1", "m2"], ["MGET"],
    ["SET", "s", "v", "BOGUS"], ["SET", "s"], ["SET"],
    ["SET", "n", "10"], ["INCR", "n"], ["DECR", "n"], ["INCRBY", "n", "5"], ["DECRBY", "n", "3"],
    ["INCR", "fresh"], ["DECR", "fresh2"], ["INCR", "s"], ["INCR", "r"], ["INCRBY", "n"],
    ["SET", "huge", I64_MAX], ["INCR", "huge"], ["INCRBY", "huge", "0"], ["DECRBY", "huge", "-1"],
    ["SET", "tiny", I64_MIN], ["DECR", "tiny"], ["INCRBY", "tiny", "-1"], ["DECRBY", "tiny", "1"],
    ["DECRBY", "n", I64_MIN], ["SET", "sp", " 1"], ["INCR", "sp"], ["SET", "lead", "01"],
    ["INCR", "lead"], ["SET", "neg0", "-0"], ["INCR", "neg0"], ["SET", "f", "1.5"], ["INCR", "f"],
    ["SET", "long", "1" * 21], ["INCR", "long"],
]
# A key per integer: a counter's increments and decrements at one replica add up to at most
# 2^64 - 1 over the key's life (docs/kvs.md; check_limits shows the refusal past it).
for at, n in enumerate(INTEGERS):
    STRINGS += [["INCRBY", f"i{at}", n], ["DECRBY", f"i{at}", n], ["INCRBY", f"i{at}", n],
                ["GET", f"i{at}"], ["GETRANGE", "r", n, "-1"], ["GETRANGE", "r", "0", n]]

# A string's bytes and bits: SETRANGE, GETBIT, SETBIT, BITCOUNT, BITPOS, LCS; every option and
# error, offsets at Redis's 512 MB bound and past it, and ranges at the int64 edges.
BITS = [
    ["SETRANGE", "sr", "0", "Hello"], ["SETRANGE", "sr", "6", "World"], ["GET", "sr"],
    ["SETRANGE", "sr", "1", ""], ["SETRANGE", "sr", "0", "J"], ["GET", "sr"],
    ["SETRANGE", "sr", "20", ""], ["SETRANGE", "nokey", "5", ""], ["EXISTS", "nokey"],
    ["SETRANGE", "nokey", I64_MAX, ""], ["SETRANGE", "sr", "-1", "x"], ["SETRANGE", "sr", "x", "y"],
    ["SETRANGE", "sr", I64_MIN, "x"], ["SETRANGE", "sr", PAST_MAX, "x"],
    ["SETRANGE", "sr", "536870912", "x"], ["SETRANGE", "sr", I64_MAX, "x"],
    ["SETRANGE", "sr", "536870911", "xx"], ["SETRANGE", "sr", "9223372036854775806", "xx"],
    ["SETRANGE", "zeros", "3", "a"], ["GET", "zeros"], ["STRLEN", "zeros"],
    ["SET", "n", "12"], ["SETRANGE", "n", "1", "5"], ["INCR", "n"], ["INCR", "cnt"],
    ["SETRANGE", "cnt", "1", "0"], ["GET", "cnt"], ["SETRANGE", "sr"], ["SETRANGE"],
    ["SETBIT", "b", "7", "1"], ["SETBIT", "b", "7", "1"], ["SETBIT", "b", "7", "0"],
    ["SETBIT", "b", "1", "1"], ["GET", "b"], ["SETBIT", "b", "100", "0"], ["STRLEN", "b"],
    ["SETBIT", "b", "-1", "1"], ["SETBIT", "b", "x", "1"], ["SETBIT", "b", "4294967296", "1"],
    ["SETBIT", "b", I64_MAX, "1"], ["SETBIT", "b", PAST_MAX, "1"], ["SETBIT", "b", "0", "2"],
    ["SETBIT", "b", "0", "-1"], ["SETBIT", "b", "0", "x"], ["SETBIT", "b", "0", ""],
    ["SETBIT", "b", "0"], ["SETBIT", "nb", "0", "0"], ["GET", "nb"], ["SETBIT", "b", "x", "y"],
    ["GETBIT", "b", "1"], ["GETBIT", "b", "7"], ["GETBIT", "b", "100"], ["GETBIT", "b", "1000"],
    ["GETBIT", "nokey", "0"], ["GETBIT", "b", "-1"], ["GETBIT", "b", "x"],
    ["GETBIT", "b", "4294967295"], ["GETBIT", "b", "4294967296"], ["GETBIT", "b", I64_MIN],
    ["GETBIT", "b"], ["GETBIT", "n", "2"],
    ["SET", "fb", "foobar"], ["BITCOUNT", "fb"], ["BITCOUNT", "fb", "0", "0"],
    ["BITCOUNT", "fb", "1", "1"], ["BITCOUNT", "fb", "1", "1", "BYTE"],
    ["BITCOUNT", "fb", "5", "30", "BIT"], ["BITCOUNT", "fb", "5", "30", "bit"],
    ["BITCOUNT", "fb", "0"], ["BITCOUNT", "nokey", "0"], ["BITCOUNT", "nokey", "a", "b"],
    ["BITCOUNT", "nokey", "0", "1", "FOO"], ["BITCOUNT", "fb", "-1", "-2", "FOO"],
    ["BITCOUNT", "fb", "0", "1", "FOO"], ["BITCOUNT", "fb", "a", "1"], ["BITCOUNT", "fb", "0", "a"],
    ["BITCOUNT", "fb", "0", "-1", "BIT", "x"], ["BITCOUNT", "fb", I64_MIN, I64_MAX],
    ["BITCOUNT", "fb", I64_MIN, I64_MAX, "BIT"], ["BITCOUNT", "fb", I64_MAX, I64_MIN, "BIT"],
    ["BITCOUNT", "fb", "-3", "-1", "BIT"], ["BITCOUNT", "fb", "-100", "-90", "BIT"],
    ["BITCOUNT", "fb", "3", "3", "BIT"], ["BITCOUNT", "fb", PAST_MAX, "1"], ["BITCOUNT", "n"],
    ["BITCOUNT", "cnt"], ["BITCOUNT"], ["SET", "empty", ""], ["BITCOUNT", "empty"],
    ["BITCOUNT", "empty", "0", "-1"], ["BITCOUNT", "empty", "0", "-1", "BIT"],
    ["BITPOS", "fb", "0"], ["BITPOS", "fb", "1"], ["BITPOS", "fb", "1", "2"],
    ["BITPOS", "fb", "1", "2", "-1"], ["BITPOS", "fb", "0", "2", "-1"],
    ["BITPOS", "fb", "1", "7", "15", "BIT"], ["BITPOS", "fb", "0", "7", "15", "BIT"],
    ["BITPOS", "fb", "1", "9", "9", "bit"], ["BITPOS", "fb", "0", "9", "9", "bit"],
    ["BITPOS", "fb", "1", "3", "20", "BIT"], ["BITPOS", "fb", "0", "3", "20", "BIT"],
    ["BITPOS", "fb", "1", "-5", "-1", "BIT"], ["BITPOS", "fb", "0", "-5", "-1", "BIT"],
    ["BITPOS", "fb", "0", "0", "0", "BYTE"], ["BITPOS", "fb", "1", "-1", "-2"],
    ["BITPOS", "fb", "1", I64_MAX], ["BITPOS", "fb", "0", I64_MIN, I64_MAX, "BIT"],
    ["BITPOS", "fb", "1", I64_MIN, I64_MAX], ["BITPOS", "nokey", "1"], ["BITPOS", "nokey", "0"],
    ["BITPOS", "nokey", "0", "1", "2", "3", "4"], ["BITPOS", "nokey", "2"],
    ["BITPOS", "nokey", "x"],
    ["BITPOS", "fb", "2"], ["BITPOS", "fb", "1", "x"], ["BITPOS", "fb", "1", "0", "x"],
    ["BITPOS", "fb", "1", "0", "1", "FOO"], ["BITPOS", "fb", "1", "0", "1", "BIT", "x"],
    ["BITPOS", "fb", "1", "0", "x", "FOO"], ["BITPOS", "fb", "0", "1", "BIT"], ["BITPOS", "fb"],
    ["BITPOS", "empty", "0"], ["BITPOS", "empty", "1", "0", "-1"], ["BITPOS", "n", "1"],
    ["SETBIT", "ones", "0", "1"], ["SETBIT", "ones", "1", "1"], ["SETBIT", "ones", "2", "1"],
    ["SETBIT", "ones", "3", "1"], ["SETBIT", "ones", "4", "1"], ["SETBIT", "ones", "5", "1"],
    ["SETBIT", "ones", "6", "1"], ["SETBIT", "ones", "7", "1"], ["BITPOS", "ones", "0"],
    ["BITPOS", "ones", "0", "0"], ["BITPOS", "ones", "0", "0", "-1"],
    ["BITPOS", "ones", "0", "0", "-1", "BIT"], ["BITPOS", "ones", "0", "3", "5", "BIT"],
    ["BITPOS", "ones", "1", "3", "5", "BIT"], ["BITPOS", "ones", "1", "8", "9", "BIT"],
    ["SETBIT", "z", "23", "0"], ["BITPOS", "z", "1"], ["BITPOS", "z", "0"],
    ["BITPOS", "z", "0", "1"], ["BITPOS", "z", "0", "3", "10", "BIT"], ["BITCOUNT", "z"],
    ["MSET", "key1", "ohmytext", "key2", "mynewtext"], ["LCS", "key1", "key2"],
    ["LCS", "key1", "key2", "LEN"], ["LCS", "key1", "key2", "IDX"],
    ["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
    ["LCS", "key1", "key2", "idx", "withmatchlen"], ["LCS", "key1", "key2", "LEN", "IDX"],
    ["LCS", "key1", "key2", "MINMATCHLEN"], ["LCS", "key1", "key2", "MINMATCHLEN", "x"],
    ["LCS", "key1", "key2", "MINMATCHLEN", "-5", "IDX"], ["LCS", "key1", "key2", "FOO"],
    ["LCS", "key1", "nokey"], ["LCS", "nokey", "nokey2", "IDX"], ["LCS", "nokey", "key1", "LEN"],
    ["LCS", "key1", "key2", "IDX", "MINMATCHLEN", I64_MAX], ["LCS", "key1", "key2", "LEN", "LEN"],
    ["LCS", "key1", "key2", "MINMATCHLEN", "x", "LEN", "IDX"],
    ["LCS", "key1", "key2", "WITHMATCHLEN"],
    ["LCS", "key1", "key2", "LEN", "IDX", "FOO"], ["LCS", "key1", "key1", "IDX", "WITHMATCHLEN"],
    ["LCS", "fb", "zeros", "IDX"], ["LCS", "n", "cnt"], ["LCS", "key1"], ["LCS"],
    ["MSET", "x1", "abcabcabcxyz", "x2", "xyzabcxyabc"], ["LCS", "x1", "x2"],
    ["LCS", "x1", "x2", "IDX", "WITHMATCHLEN"], ["LCS", "x2", "x1", "IDX", "MINMATCHLEN", "2"],
    ["SADD", "st", "a"], ["HSET", "hh", "f", "v"], ["LPUSH", "ll", "a"],
    ["SETRANGE", "st", "0", "x"], ["SETRANGE", "st", "0", ""], ["SETRANGE", "st", "-1", "x"],
    ["SETBIT", "hh", "0", "1"], ["SETBIT", "st", "x", "1"], ["SETBIT", "st", "0", "5"],
    ["GETBIT", "ll", "0"], ["GETBIT", "st", "x"], ["BITCOUNT", "st"], ["BITCOUNT", "st", "x"],
    ["BITPOS", "hh", "1"], ["BITPOS", "hh", "5"], ["LCS", "key1", "st"],
    ["LCS", "ll", "key1", "FOO"],
    ["SET", "big", BIG], ["SETRANGE", "big", "999998", "yz"], ["GETRANGE", "big", "999990", "-1"],
    ["SETBIT", "big", "7999999", "1"], ["GETBIT", "big", "7999999"], ["BITCOUNT", "big", "0", "8"],
    ["BITPOS", "big", "0"], ["BITPOS", "big", "1", "-1", "-1"],
]

KEYS_FAMILY = [
    ["SET", "k1", "a"], ["SET", "k2", "b"], ["EXISTS", "k1"], ["EXISTS", "k1", "k1", "k2", "no"],
    ["EXISTS"], ["TYPE", "k1"], ["TYPE", "nokey"], ["TYPE"], ["DEL", "k1", "no"], ["DEL", "k1"],
    ["UNLINK", "k2"], ["DEL"], ["KEYS", "*"], ["KEYS", "k?"], ["KEYS", "[a-c]*"], ["KEYS"],
    ["TTL", "nokey"], ["TTL", "s"], ["PTTL", "nokey"], ["PTTL", "s"],
    ["RANDOMKEY"], ["RANDOMKEY", "x"], ["FLUSHALL"], ["RANDOMKEY"], ["SET", "only", "v"],
    ["RANDOMKEY"],
]

SETS = [
    ["SADD", "st", "a", "b", "c"], ["SADD", "st", "a", "d"], ["SADD", "st"], ["SCARD", "st"],
    ["SCARD", "nokey"], ["SISMEMBER", "st", "a"], ["SISMEMBER", "st", "z"],
    ["SISMEMBER", "nokey", "a"], ["SMISMEMBER", "st", "a", "z", "b"], ["SMISMEMBER", "nokey", "a"],
    ["SMEMBERS", "st"], ["SMEMBERS", "nokey"], ["SREM", "st", "d", "z"], ["SREM", "nokey", "a"],
    ["SREM", "st"], ["SADD", "st2", "b", "c", "e"], ["SINTER", "st", "st2"],
    ["SINTER", "st", "nokey"], ["SUNION", "st", "st2", "nokey"], ["SDIFF", "st", "st2"],
    ["SDIFF", "nokey", "st"], ["SINTERSTORE", "dst", "st", "st2"], ["SMEMBERS", "dst"],
    ["SUNIONSTORE", "dst", "st", "st2"], ["SCARD", "dst"], ["SDIFFSTORE", "dst", "st", "st2"],
    ["SMEMBERS", "dst"], ["SINTERSTORE", "dst", "nokey"], ["EXISTS", "dst"],
    ["SRANDMEMBER", "nokey"], ["SRANDMEMBER", "nokey", "3"], ["SRANDMEMBER", "st", "0"],
    ["SRANDMEMBER", "st", "10"], ["SRANDMEMBER", "st", "x"], ["SRANDMEMBER", "st", I64_MIN],
    ["SRANDMEMBER", "st", PAST_MAX], ["SRANDMEMBER", "st", "1", "2"], ["SADD", "one", "only"],
    ["SRANDMEMBER", "one"], ["SRANDMEMBER", "one", "-3"], ["SRANDMEMBER", "one", I64_MAX],
    ["SADD", "s", "x"], ["SMEMBERS", "s"], ["SCARD", "s"], ["SINTER", "st", "s"],
    ["SUNIONSTORE", "s", "st"], ["TYPE", "s"], ["SMEMBERS", "s"],
    ["SADD", "s1", "a", "b", "c", "d"], ["SADD", "s2", "b", "c", "d", "e"], ["SET", "str", "v"],
    ["SINTERCARD", "2", "s1", "s2"], ["SINTERCARD", "2", "s1", "s2", "LIMIT", "2"],
    ["SINTERCARD", "2", "s1", "s2", "LIMIT", "0"], ["SINTERCARD", "2", "s1", "s2", "limit", "-1"],
    ["SINTERCARD", "2", "s1", "s2", "LIMIT", "x"], ["SINTERCARD", "2", "s1", "s2", "LIMIT"],
    ["SINTERCARD", "2", "s1", "s2", "FOO", "1"], ["SINTERCARD", "0", "s1"],
    ["SINTERCARD", "-1", "s1"], ["SINTERCARD", "x", "s1"], ["SINTERCARD", "3", "s1", "s2"],
    ["SINTERCARD", "1", "s1", "s2"], ["SINTERCARD", "2", "s1", "nokey"],
    ["SINTERCARD", "2", "nokey", "str"], ["SINTERCARD", "2", "str", "nokey"],
    ["SINTERCARD", "1", "s1", "LIMIT", I64_MAX], ["SINTERCARD", I64_MAX, "s1"],
    ["SINTERCARD", PAST_MAX, "s1"], ["SINTERCARD", I64_MIN, "s1"], ["SINTERCARD", "1"],
    ["SINTERCARD", "2", "s1", "s2", "LIMIT", "1", "LIMIT", "3"],
    ["SINTERCARD", "1", "s1", "LIMIT", PAST_MAX], ["SINTERCARD", "3", "s1", "s2", "s1"],
    ["SINTERCARD", "2", "s1", "s1", "LIMIT", "3"],
    ["SADD", "ints", "1", "2", "3"], ["SSCAN", "s1", "0"], ["SSCAN", "ints", "0"],
    ["SSCAN", "s1", ""], ["SSCAN", "s1", "+0"], ["SSCAN", "s1", "-0"], ["SSCAN", "s1", " 0"],
    ["SSCAN", "s1", "x"], ["SSCAN", "s1", "-"], ["SSCAN", "s1", "18446744073709551616"],
    ["SSCAN", "s1", "0", "MATCH", "[a-b]"], ["SSCAN", "s1", "0", "match", "*"],
    ["SSCAN", "s1", "0", "MATCH", "zz*"], ["SSCAN", "s1", "0", "COUNT", "0"],
    ["SSCAN", "s1", "0", "COUNT", "-1"], ["SSCAN", "s1", "0", "COUNT", "x"],
    ["SSCAN", "s1", "0", "COUNT", I64_MAX], ["SSCAN", "s1", "0", "COUNT", PAST_MAX],
    ["SSCAN", "s1", "0", "COUNT", "100", "MATCH", "c"], ["SSCAN", "s1", "0", "TYPE", "set"],
    ["SSCAN", "s1", "0", "MATCH"], ["SSCAN", "s1", "0", "FOO", "1"], ["SSCAN", "nokey", "0"],
    ["SSCAN", "nokey", "x"], ["SSCAN", "str", "0"], ["SSCAN", "nokey", "0", "COUNT", "0"],
    ["SSCAN", "str", "0", "COUNT", "0"], ["SSCAN", "str", "x"], ["SSCAN", "s1"], ["SSCAN"],
]

HASHES = [
    ["HSET", "h", "f1", "v1", "f2", "v2"], ["HSET", "h", "f1", "w"], ["HSET", "h", "f"],
    ["HMSET", "h", "f3", "v3"], ["HMSET", "h", "f3"], ["HGET", "h", "f1"], ["HGET", "h", "no"],
    ["HGET", "nokey", "f"], ["HMGET", "h", "f1", "no", "f2"], ["HMGET", "nokey", "a"],
    ["HEXISTS", "h", "f2"], ["HEXISTS", "h", "no"], ["HLEN", "h"], ["HLEN", "nokey"],
    ["HSTRLEN", "h", "f1"], ["HSTRLEN", "h", "no"], ["HGETALL", "h"], ["HGETALL", "nokey"],
    ["HKEYS", "h"], ["HVALS", "h"], ["HDEL", "h", "f3", "no"], ["HDEL", "h"],
    ["HINCRBY", "h", "c", "5"], ["HINCRBY", "h", "c", "-10"], ["HINCRBY", "h", "f1", "1"],
    ["HINCRBY", "h", "c", "x"], ["HINCRBY", "h", "c", I64_MAX], ["HINCRBY", "h", "c", PAST_MAX],
    ["HSET", "h", "m", I64_MAX], ["HINCRBY", "h", "m", "1"], ["HINCRBY", "h", "m", "0"],
    ["HSET", "h", "e", ""], ["HGET", "h", "e"], ["HSTRLEN", "h", "e"],
    ["HSET", "s", "f", "v"], ["HGET", "s", "f"], ["HGETALL", "s"], ["HLEN", "s"],
    ["HDEL", "h", "f1", "f2", "c", "m", "e"], ["EXISTS", "h"],
    ["HSET", "hs", "f1", "v1", "f2", "v2", "g", "w"], ["HINCRBY", "hs", "n", "5"],
    ["SET", "str", "v"],
    ["HSCAN", "hs", "0"], ["HSCAN", "hs", "0", "MATCH", "f*"], ["HSCAN", "hs", "0", "MATCH", "n"],
    ["HSCAN", "hs", "0", "COUNT", "0"], ["HSCAN", "hs", "0", "COUNT", "x"],
    ["HSCAN", "hs", "0", "COUNT", I64_MAX], ["HSCAN", "hs", "0", "NOVALUES"],
    ["HSCAN", "hs", "x"], ["HSCAN", "hs", ""], ["HSCAN", "nokey", "0"], ["HSCAN", "nokey", "x"],
    ["HSCAN", "str", "0"], ["HSCAN", "nokey", "0", "COUNT", "0"], ["HSCAN", "hs"],
    ["HRANDFIELD", "nokey"], ["HRANDFIELD", "nokey", "3"],
    ["HRANDFIELD", "nokey", "3", "WITHVALUES"],
    ["HRANDFIELD", "nokey", "x"], ["HRANDFIELD", "str"], ["HRANDFIELD", "str", "1"],
    ["HRANDFIELD", "str", "x"], ["HRANDFIELD", "hs", "0"], ["HRANDFIELD", "hs", "0", "WITHVALUES"],
    ["HRANDFIELD", "hs", "10"], ["HRANDFIELD", "hs", "10", "withvalues"], ["HRANDFIELD", "hs", "2"],
    ["HRANDFIELD", "hs", "-3", "WITHVALUES"], ["HRANDFIELD", "hs", "1", "WITHVALUES"],
    ["HRANDFIELD", "hs", "-5"], ["HRANDFIELD", "hs"], ["HRANDFIELD", "hs", I64_MIN],
    ["HRANDFIELD", "hs", "-9223372036854775807", "WITHVALUES"],
    ["HRANDFIELD", "hs", I64_MAX, "WITHVALUES"],
    ["HRANDFIELD", "hs", "4611686018427387903", "WITHVALUES"],
    ["HRANDFIELD", "hs", "4611686018427387904", "WITHVALUES"], ["HRANDFIELD", "hs", I64_MAX],
    ["HRANDFIELD", "nokey", "-4611686018427387904", "WITHVALUES"], ["HRANDFIELD", "hs", PAST_MAX],
    ["HRANDFIELD", "hs", "1", "FOO"], ["HRANDFIELD", "hs", "1", "WITHVALUES", "x"],
    ["HRANDFIELD", "hs", "x", "FOO"], ["HRANDFIELD", "nokey", "1", "FOO"], ["HRANDFIELD"],
]
for n in INTEGERS:
    HASHES += [["HINCRBY", "hi", "f", n]]
HASHES += [["HGET", "hi", "f"]]

# Every list command, its options and errors, and WRONGTYPE across families.
LISTS = [
    ["LPUSH", "l", "c", "b", "a"], ["RPUSH", "l", "d", "e"], ["LRANGE", "l", "0", "-1"],
    ["LRANGE", "l", "-100", "100"], ["LRANGE", "l", "2", "1"], ["LRANGE", "l", "x", "1"],
    ["LRANGE", "nolist", "0", "-1"], ["LLEN", "l"], ["LLEN", "nolist"], ["TYPE", "l"],
    ["LINDEX", "l", "0"], ["LINDEX", "l", "-1"], ["LINDEX", "l", "-6"], ["LINDEX", "l", "5"],
    ["LINDEX", "l", "one"], ["LINDEX", "nolist", "0"],
    ["LSET", "l", "1", "B"], ["LSET", "l", "-1", "E"], ["LSET", "l", "5", "x"],
    ["LSET", "nolist", "0", "x"], ["LSET", "l", "x", "y"],
    ["LINSERT", "l", "BEFORE", "c", "x"], ["LINSERT", "l", "after", "E", "y"],
    ["LINSERT", "l", "BEFORE", "zz", "x"], ["LINSERT", "nolist", "BEFORE", "a", "x"],
    ["LINSERT", "l", "MIDDLE", "a", "x"], ["LRANGE", "l", "0", "-1"],
    ["RPUSH", "r", "a", "b", "a", "c", "a", "b", "a"],
    ["LPOS", "r", "a"], ["LPOS", "r", "a", "RANK", "2"], ["LPOS", "r", "a", "RANK", "-1"],
    ["LPOS", "r", "a", "RANK", "-2", "COUNT", "2"], ["LPOS", "r", "a", "COUNT", "0"],
    ["LPOS", "r", "a", "COUNT", "0", "MAXLEN", "3"], ["LPOS", "r", "b", "RANK", "3"],
    ["LPOS", "r", "zz"], ["LPOS", "r", "zz", "COUNT", "2"], ["LPOS", "nolist", "a"],
    ["LPOS", "nolist", "a", "COUNT", "1"], ["LPOS", "r", "a", "RANK", "0"],
    ["LPOS", "r", "a", "COUNT", "-1"], ["LPOS", "r", "a", "MAXLEN", "-1"],
    ["LPOS", "r", "a", "RANK"], ["LPOS", "r", "a", "FOO", "1"], ["LPOS", "r", "a", "RANK", "x"],
    ["LPOS", "r", "a", "COUNT", "x"], ["LPOS", "r", "a", "MAXLEN", "1.5"],
    ["LPOS", "nolist", "a", "COUNT", "x"], ["LPOS", "r", "a", "RANK", "-1", "MAXLEN", "2"],
    ["LPOS", "r", "b", "RANK", "-1", "COUNT", "0", "MAXLEN", "4"], ["LINDEX", "nolist", "x"],
    ["LREM", "r", "2", "a"], ["LREM", "r", "-1", "a"], ["LREM", "r", "0", "b"],
    ["LREM", "r", "x", "b"], ["LREM", "nolist", "0", "a"], ["LRANGE", "r", "0", "-1"],
    ["RPUSH", "t", "1", "2", "3", "4", "5", "6"], ["LTRIM", "t", "1", "-2"],
    ["LRANGE", "t", "0", "-1"], ["LTRIM", "t", "-100", "100"], ["LTRIM", "t", "1", "0"],
    ["EXISTS", "t"], ["LTRIM", "nolist", "0", "1"], ["LTRIM", "t", "a", "1"],
    ["RPUSH", "p", "1", "2", "3", "4", "5"], ["LPOP", "p"], ["RPOP", "p"], ["LPOP", "p", "2"],
    ["RPOP", "p", "0"], ["LPOP", "p", "-1"], ["LPOP", "p", "x"], ["LPOP", "p", "1", "2"],
    ["RPOP", "p", "10"], ["EXISTS", "p"], ["LPOP", "p"], ["LPOP", "p", "3"], ["RPOP", "p"],
    ["LPUSHX", "p", "a"], ["RPUSHX", "p", "a", "b"], ["LPUSH", "p", "z"],
    ["LPUSHX", "p", "a", "b"], ["RPUSHX", "p", "c"], ["LRANGE", "p", "0", "-1"],
    ["RPUSH", "m", "1", "2", "3"], ["LMOVE", "m", "n", "LEFT", "RIGHT"],
    ["LMOVE", "m", "n", "right", "left"], ["LMOVE", "m", "m", "LEFT", "RIGHT"],
    ["LMOVE", "m", "n", "UP", "LEFT"], ["LMOVE", "nolist", "n", "LEFT", "LEFT"],
    ["RPOPLPUSH", "n", "m"], ["RPOPLPUSH", "nolist", "m"], ["LRANGE", "m", "0", "-1"],
    ["LRANGE", "n", "0", "-1"],
    ["SET", "s", "v"], ["SADD", "set", "x"], ["HSET", "hh", "f", "v"],
    ["LPUSH", "s", "a"], ["RPUSH", "set", "a"], ["LRANGE", "hh", "0", "1"], ["LLEN", "s"],
    ["LPOP", "set"], ["LINDEX", "hh", "0"], ["LSET", "s", "0", "a"], ["LREM", "s", "0", "a"],
    ["LTRIM", "s", "0", "1"], ["LPOS", "s", "a"], ["LINSERT", "s", "BEFORE", "a", "b"],
    ["LMOVE", "s", "m", "LEFT", "LEFT"], ["LMOVE", "m", "s", "LEFT", "LEFT"],
    ["LMOVE", "nolist", "s", "LEFT", "LEFT"], ["LPUSHX", "s", "a"],
    ["GET", "m"], ["SADD", "m", "x"], ["HGET", "m", "f"], ["INCR", "m"], ["APPEND", "m", "x"],
    ["SET", "m", "replaced"], ["GET", "m"], ["TYPE", "m"], ["RPUSH", "m", "again"],
    ["DEL", "n"], ["EXISTS", "n"], ["LPUSH"], ["LPUSH", "k"], ["LRANGE", "k", "0"],
    ["LINSERT", "k", "BEFORE", "a"], ["LMOVE", "a", "b", "LEFT"], ["LPOS", "k"],
    ["RPUSH", "bl", BIG, ""], ["LINDEX", "bl", "0"], ["LRANGE", "bl", "1", "1"],
]
for n in INTEGERS:
    LISTS += [["LRANGE", "l", n, "-1"], ["LINDEX", "l", n], ["LPOP", "empty", n],
              ["LTRIM", "nolist", "0", n]]

# OBJECT, MEMORY, FUNCTION and CONFIG SET: their errors, and what calm-kvs answers as Redis.
SERVER = [
    ["SET", "k", "1"], ["OBJECT", "ENCODING", "nokey"], ["OBJECT", "FREQ", "k"],
    ["OBJECT", "FREQ", "nokey"], ["OBJECT", "REFCOUNT", "nokey"], ["OBJECT", "ENCODING"],
    ["OBJECT", "FOO"], ["OBJECT", "ENCODING", "a", "b"], ["OBJECT", "HELP", "x"],
    ["MEMORY", "USAGE", "nokey"], ["MEMORY", "USAGE", "k", "SAMPLES", "x"],
    ["MEMORY", "USAGE", "k", "FOO"], ["MEMORY", "USAGE", "k", "SAMPLES"], ["MEMORY", "FOO"],
    ["MEMORY", "PURGE"], ["MEMORY", "PURGE", "x"], ["MEMORY", "DOCTOR", "x"],
    ["FUNCTION", "LIST"], ["FUNCTION", "LIST", "WITHCODE"], ["FUNCTION", "LIST", "FOO"],
    ["FUNCTION", "LIST", "LIBRARYNAME", "x"], ["FUNCTION", "FLUSH"], ["FUNCTION", "FLUSH", "ASYNC"],
    ["FUNCTION", "FLUSH", "x"], ["FUNCTION", "FLUSH", "a", "b"], ["FUNCTION", "DELETE", "x"],
    ["FUNCTION", "DELETE"], ["FUNCTION", "STATS", "x"], ["FUNCTION", "HELP", "x"],
    ["FUNCTION", "FOO"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "200"],
    ["CONFIG", "GET", "hash-max-listpack-entries"], ["CONFIG", "SET", "hash-max-ziplist-entries", "50"],
    ["CONFIG", "GET", "hash-max-listpack-entries"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "x"], ["CONFIG", "SET", "nosuch", "1"],
    # Each setting's type and bounds as Redis 7.0 reads them: integers, memory sizes with units.
    ["CONFIG", "SET", "hash-max-listpack-entries", "-1"],
    ["CONFIG", "SET", "Hash-Max-Listpack-Entries", "-1"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "007"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "1kb"],
    ["CONFIG", "SET", "hash-max-listpack-value", "1kb"], ["CONFIG", "GET", "hash-max-listpack-value"],
    ["CONFIG", "SET", "zset-max-listpack-value", "2MB"], ["CONFIG", "GET", "zset-max-listpack-value"],
    ["CONFIG", "SET", "hll-sparse-max-bytes", "3g"], ["CONFIG", "GET", "hll-sparse-max-bytes"],
    ["CONFIG", "SET", "stream-node-max-bytes", "7B"], ["CONFIG", "GET", "stream-node-max-bytes"],
    ["CONFIG", "SET", "hash-max-listpack-value", ""], ["CONFIG", "GET", "hash-max-listpack-value"],
    ["CONFIG", "SET", "hash-max-listpack-value", "-1"],
    ["CONFIG", "SET", "hash-max-listpack-value", "+5"],
    ["CONFIG", "SET", "hash-max-listpack-value", "1.5"],
    ["CONFIG", "SET", "hash-max-listpack-value", "1kbb"],
    ["CONFIG", "SET", "hash-max-listpack-value", "9223372036854775807"],
    ["CONFIG", "SET", "hash-max-listpack-value", "9223372036854775808"],
    ["CONFIG", "SET", "hash-max-listpack-value", "99999999999999999999"],
    ["CONFIG", "SET", "hash-max-listpack-value", "64"],
    ["CONFIG", "SET", "list-max-listpack-size", "-7"],
    ["CONFIG", "SET", "list-max-listpack-size", "2147483648"],
    ["CONFIG", "SET", "list-max-listpack-size", "-2"],
    ["CONFIG", "SET", "list-compress-depth", "-1"],
    ["CONFIG", "SET", "stream-node-max-entries", "-1"],
    ["CONFIG", "SET", "set-max-intset-entries", "1gb"],
    ["CONFIG", "SET", "activerehashing", "YES"], ["CONFIG", "GET", "activerehashing"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "5", "hash-max-listpack-entries", "6"],
    ["CONFIG", "SET", "HASH-max-listpack-entries", "5", "hash-max-listpack-entries", "6"],
    ["CONFIG", "SET", "hash-max-ziplist-entries", "5", "hash-max-listpack-entries", "6"],
    ["CONFIG", "GET", "hash-max-ziplist-entries"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "x", "nosuch", "1"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "128"],
    ["MEMORY", "USAGE", "nosuch", "SAMPLES", "-1"], ["MEMORY", "USAGE", "nosuch", "SAMPLES", "0"],
    ["CONFIG", "SET", "hash-max-ziplist-entries", "-1"],
    ["CONFIG", "SET", "HASH-max-listpack-entries", "1", "hash-max-LISTPACK-entries", "2"],
    ["CONFIG", "SET", "hash-max-ziplist-entries", "1", "hash-max-listpack-entries", "2"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "128"],
    ["COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k"], ["COMMAND", "GETKEYS", "object", "help"],
    ["COMMAND", "GETKEYS", "OBJECT", "ENCODING"], ["COMMAND", "GETKEYS", "OBJECT", "FOO", "k"],
    ["COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k", "x"],
    ["COMMAND", "GETKEYS", "MEMORY", "USAGE", "k"],
    ["COMMAND", "GETKEYS", "MEMORY", "USAGE", "k", "SAMPLES", "5"],
    ["COMMAND", "GETKEYS", "MEMORY", "USAGE"], ["COMMAND", "GETKEYS", "MEMORY", "DOCTOR"],
    ["FUNCTION", "LIST", "WITHCODE", "withcode"], ["FUNCTION", "LIST", "LIBRARYNAME"],
    ["FUNCTION", "LIST", "withcode", "libraryname"],
    ["FUNCTION", "LIST", "libraryname", "a", "LIBRARYNAME", "b"],
    ["FUNCTION", "LIST", "libraryname", "withcode", "withcode"],
    ["CONFIG", "SET", "activerehashing", "maybe"], ["CONFIG", "SET", "port"],
    ["CONFIG", "SET", "activerehashing", "no", "zset-max-listpack-value", "7"],
    ["CONFIG", "GET", "zset-max-listpack-value"], ["CONFIG", "GET", "activerehashing"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "128", "activerehashing", "yes"],
    ["CONFIG", "RESETSTAT", "x"], ["CONFIG", "RESETSTAT"],
    ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "NO-EVICT", "OFF"], ["CLIENT", "NO-EVICT", "x"],
    ["CLIENT", "NO-EVICT"], ["CLIENT", "NO-EVICT", "on", "x"],
]

# Every sorted-set command, its options and errors. Scores that ZINCRBY sums are exact in binary
# (halves, quarters, integers): calm-kvs sums a replica's increments apart from the score ZADD
# wrote (docs/kvs.md), which rounds as Redis's sums only when they are exact.
ZSETS = [
    ["ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "d"], ["ZADD", "z", "CH", "1", "a", "5", "b", "7", "new"],
    ["ZADD", "z", "1.5"], ["ZADD", "z", "x", "a"], ["ZADD", "z", "nan", "a"],
    ["ZADD", "z", "1e400", "a"], ["ZADD", "z", "1e-400", "a"], ["ZADD", "z", " 1", "a"],
    ["ZADD", "z", "0x10", "hex"], ["ZADD", "z", "-0", "zero"], ["ZSCORE", "z", "zero"],
    ["ZADD", "z", "INCR", "1", "a"], ["ZADD", "z", "incr", "1", "a", "2", "b"],
    ["ZADD", "z", "NX", "XX", "1", "a"], ["ZADD", "z", "GT", "LT", "1", "a"],
    ["ZADD", "z", "NX", "GT", "1", "a"], ["ZADD", "z", "NX", "1"], ["ZADD", "z", "NX", "x", "a"],
    ["ZADD", "z", "1", "a", "2", "a", "3", "a"], ["ZADD", "z", "CH", "1", "a", "2", "a"],
    ["ZINCRBY", "z", "2.5", "a"], ["ZINCRBY", "z", "x", "a"], ["ZINCRBY", "z", "1", "fresh"],
    ["ZINCRBY", "z", "0", "zero2"], ["ZINCRBY", "z", "-0.25", "fresh"],
    ["ZSCORE", "z", "a"], ["ZSCORE", "z", "nope"], ["ZSCORE", "nokey", "a"],
    ["ZMSCORE", "z", "a", "nope", "b"], ["ZMSCORE", "nokey", "a"], ["ZCARD", "z"],
    ["ZCARD", "nokey"], ["ZCOUNT", "z", "-inf", "+inf"], ["ZCOUNT", "z", "(1", "3"],
    ["ZCOUNT", "z", "a", "3"], ["ZCOUNT", "z", "(", "5"], ["ZCOUNT", "z", "", "5"],
    ["ZRANK", "z", "a"], ["ZREVRANK", "z", "a"], ["ZRANK", "z", "nope"], ["ZRANK", "nokey", "a"],
    ["ZRANGE", "z", "0", "-1"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZRANGE", "z", "-2", "-1", "withscores"], ["ZRANGE", "z", "5", "1"],
    ["ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"],
    ["ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"],
    ["ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "WITHSCORES"],
    ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"],
    ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
    ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "-1"],
    ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "x", "1"],
    ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"], ["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
    ["ZRANGE", "z", "0", "-1", "BYSCORE", "BYSCORE"], ["ZRANGE", "z", "0", "-1", "REV", "REV"],
    ["ZRANGE", "z", "0", "-1", "FOO"], ["ZRANGE", "z", "0", "-1", "LIMIT", "1"],
    ["ZRANGE", "z", "x", "1"], ["ZRANGE", "z", "0", "x", "BYSCORE"], ["ZRANGE", "nokey", "0", "-1"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "3"],
    ["ZRANGEBYSCORE", "z", "(1", "(3"], ["ZRANGEBYSCORE", "z", "1", "2", "REV"],
    ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"],
    ["ZREVRANGEBYSCORE", "z", "3", "1", "LIMIT", "1", "1"],
    ["ZREVRANGE", "z", "0", "1", "WITHSCORES"], ["ZREVRANGE", "z", "0", "1", "BYSCORE"],
    ["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"],
    ["ZRANGEBYLEX", "l", "-", "+"], ["ZRANGEBYLEX", "l", "[b", "(d"],
    ["ZRANGEBYLEX", "l", "(a", "[c", "LIMIT", "1", "1"], ["ZREVRANGEBYLEX", "l", "+", "-"],
    ["ZREVRANGEBYLEX", "l", "[d", "(a"], ["ZRANGEBYLEX", "l", "a", "b"],
    ["ZRANGEBYLEX", "l", "+", "-"], ["ZRANGEBYLEX", "l", "-x", "+"],
    ["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"], ["ZLEXCOUNT", "l", "[b", "+"],
    ["ZLEXCOUNT", "l", "x", "y"], ["ZREMRANGEBYLEX", "l", "[a", "[b"], ["ZRANGE", "l", "0", "-1"],
    ["ZREMRANGEBYLEX", "l", "x", "y"], ["ZREMRANGEBYRANK", "z", "0", "0"],
    ["ZREMRANGEBYRANK", "z", "x", "0"], ["ZREMRANGEBYSCORE", "z", "(2", "4"],
    ["ZREMRANGEBYSCORE", "z", "x", "4"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZREM", "z", "a", "nope", "d"], ["ZREM", "nokey", "a"], ["ZPOPMIN", "z"],
    ["ZPOPMAX", "z", "2"], ["ZPOPMIN", "z", "-1"], ["ZPOPMIN", "z", "0"], ["ZPOPMIN", "nokey"],
    ["ZPOPMIN", "nokey", "3"], ["ZPOPMIN", "z", "1", "2"], ["ZPOPMIN", "z", "x"],
    ["ZPOPMAX", "z", "100"], ["EXISTS", "z"],
    ["SET", "s", "v"], ["ZADD", "s", "1", "a"], ["ZSCORE", "s", "a"], ["ZRANGE", "s", "0", "-1"],
    ["ZCOUNT", "s", "1", "2"], ["ZCOUNT", "s", "a", "2"], ["ZPOPMIN", "s"], ["ZPOPMIN", "s", "-1"],
    ["ZINCRBY", "s", "1", "a"], ["ZREM", "s", "a"], ["ZCARD", "s"], ["ZRANK", "s", "a"],
    ["ZADD", "zs", "1", "m"], ["GET", "zs"], ["SADD", "zs", "x"], ["LPUSH", "zs", "x"],
    ["HSET", "zs", "f", "v"], ["TYPE", "zs"], ["TYPE", "l"],
    ["ZADD", "big", "1", "a", "2", "b", "3", "c"], ["ZSCAN", "big", "0"],
    ["ZSCAN", "big", "0", "MATCH", "a*"], ["ZSCAN", "nokey", "0"], ["ZSCAN", "s", "0"],
    ["ZSCAN", "big", "x"], ["ZRANDMEMBER", "nokey"], ["ZRANDMEMBER", "big", "0"],
    ["ZRANDMEMBER", "big", "-2", "WITHSCORES", "x"], ["ZRANDMEMBER", "big", "-5", "WITHSCORES"],
    ["ZRANDMEMBER", "big", "2"], ["ZRANDMEMBER", "big", "10", "withscores"],
    ["ZRANDMEMBER", "big", I64_MIN], ["ZRANDMEMBER", "s"], ["ZRANDMEMBER", "big", "1", "FOO"],
    ["ZADD", "inf", "inf", "a", "-inf", "b"], ["ZINCRBY", "inf", "-inf", "a"],
    ["ZADD", "inf", "INCR", "-inf", "a"], ["ZRANGE", "inf", "0", "-1", "WITHSCORES"],
    ["ZINCRBY", "inf", "1", "a"], ["ZINCRBY", "inf", "-inf", "c"], ["ZSCORE", "inf", "c"],
    ["ZADD", "e", "1e300", "m"], ["ZINCRBY", "e", "1e300", "m"], ["ZSCORE", "e", "m"],
    ["ZADD", "bz", "1", BIG], ["ZRANGE", "bz", "0", "-1"],
]
for n in INTEGERS:
    ZSETS += [["ZRANGE", "z", n, "-1"], ["ZPOPMIN", "empty", n], ["ZREMRANGEBYRANK", "nokey", "0", n],
              ["ZADD", "zi", n, "m"], ["ZINCRBY", "zi", n, "m"], ["ZCOUNT", "zi", n, "+inf"]]

# Commands that need agreement: the linearizable pair compares them, the other refuses them.
# TTL follows relative expiries only: after an absolute deadline, its rounding to the second
# depends on the millisecond each server reads its clock, and the two may differ by one (seen on
# CI). EXPIRETIME and PEXPIRETIME check absolute deadlines exactly.
COORDINATED = [
    ["SET", "c", "v", "NX"], ["SET", "c", "w", "NX"], ["SET", "c", "w", "XX"], ["GET", "c"],
    ["SET", "c2", "v", "XX"], ["SET", "c", "x", "GET"], ["SET", "nokey2", "x", "GET"],
    ["SET", "c", "v", "NX", "XX"], ["SET", "c", "v", "EX", "0"], ["SET", "c", "v", "EX", "-1"],
    ["SET", "c", "v", "EX", "x"], ["SET", "c", "v", "PX", I64_MAX], ["SET", "c", "v", "EX"],
    ["SET", "c", "v", "EX", "100"], ["TTL", "c"], ["SET", "c", "v", "KEEPTTL"], ["TTL", "c"],
    ["SET", "c", "v", "EX", "10", "KEEPTTL"], ["SET", "c", "v"], ["TTL", "c"],
    ["SETNX", "c", "a"], ["SETNX", "c3", "a"], ["GETSET", "c3", "b"], ["GETSET", "c4", "b"],
    ["GETDEL", "c3"], ["GETDEL", "c3"], ["SADD", "ss", "only"], ["SPOP", "ss"], ["SPOP", "ss"],
    ["SADD", "ss", "a", "b"], ["SPOP", "ss", "5"], ["SPOP", "ss", "-1"], ["SPOP", "nokey", "2"],
    ["SADD", "sm", "a"], ["SMOVE", "sm", "sn", "a"], ["SMOVE", "sm", "sn", "a"],
    ["SMEMBERS", "sn"], ["EXISTS", "sm"], ["RENAME", "sn", "so"], ["RENAME", "nokey", "x"],
    ["RENAME", "so", "so"], ["SET", "rx", "1"], ["RENAMENX", "so", "rx"], ["RENAMENX", "so", "ry"],
    ["TYPE", "ry"], ["HSETNX", "hx", "f", "1"], ["HSETNX", "hx", "f", "2"], ["HGET", "hx", "f"],
    ["SET", "e", "v"], ["EXPIRE", "e", "100"], ["TTL", "e"], ["EXPIRE", "e", "50", "GT"],
    ["EXPIRE", "e", "200", "GT"], ["TTL", "e"], ["EXPIRE", "e", "300", "NX"],
    ["EXPIRE", "e", "100", "LT"], ["TTL", "e"], ["EXPIRE", "e", "1", "NX", "XX"],
    ["EXPIRE", "e", "1", "GT", "LT"], ["EXPIRE", "e", "x"], ["EXPIRE", "e", "1", "BOGUS"],
    ["EXPIRE", "nokey", "10"], ["PERSIST", "e"], ["PERSIST", "e"], ["TTL", "e"],
    ["EXPIRE", "e", "10", "XX"], ["PEXPIRE", "e", "100000"], ["TTL", "e"],
    ["EXPIREAT", "e", "4102444800"], ["EXPIRETIME", "e"], ["PEXPIREAT", "e", "4102444800123"],
    ["PEXPIRETIME", "e"], ["EXPIRETIME", "e"], ["EXPIRETIME", "nokey"], ["PEXPIRETIME", "c"],
    ["EXPIRE", "e", I64_MAX],
    ["PEXPIRE", "e", I64_MAX], ["EXPIRE", "e", I64_MIN], ["EXPIREAT", "e", "1"], ["EXISTS", "e"],
    ["SET", "e2", "v"], ["EXPIRE", "e2", "0"], ["EXISTS", "e2"], ["SET", "e3", "v"],
    ["EXPIRE", "e3", "-5"], ["GET", "e3"], ["PERSIST", "nokey"],
    ["SETEX", "sx", "100", "v"], ["EXPIRETIME", "sx"], ["SETEX", "sx", "0", "v"],
    ["SETEX", "sx", "-1", "v"], ["SETEX", "sx", "x", "v"], ["SETEX", "sx", I64_MAX, "v"],
    ["PSETEX", "sx", "100000", "w"], ["GET", "sx"], ["PSETEX", "sx", "0", "w"],
    ["GETEX", "sx"], ["GETEX", "sx", "PERSIST"], ["TTL", "sx"], ["GETEX", "sx", "EX", "100"],
    ["GETEX", "sx", "EXAT", "4102444800"], ["EXPIRETIME", "sx"], ["GETEX", "sx", "EX", "1", "PX", "1"],
    ["GETEX", "sx", "PERSIST", "PERSIST"], ["GETEX", "sx", "EX"], ["GETEX", "sx", "EX", "0"],
    ["GETEX", "sx", "EX", "x"], ["GETEX", "sx", "BOGUS"], ["GETEX", "nokey", "EX", "10"],
    ["GETEX", "nokey", "EX", "0"], ["SADD", "sy", "a"], ["GETEX", "sy", "EX", "10"],
    ["GETEX", "sx", "PXAT", "1"], ["EXISTS", "sx"],
    ["INCRBYFLOAT", "fl", "10.5"], ["INCRBYFLOAT", "fl", "0.1"], ["INCRBYFLOAT", "fl", "-5.0e3"],
    ["INCRBYFLOAT", "fl", "5.0e3"], ["INCRBYFLOAT", "fl", "abc"], ["INCRBYFLOAT", "fl", ""],
    ["INCRBYFLOAT", "fl", " 1"], ["INCRBYFLOAT", "fl", "inf"], ["INCRBYFLOAT", "fl", "nan"],
    ["INCRBYFLOAT", "fl", "1e400"], ["INCRBYFLOAT", "fl", "-10.6"], ["GET", "fl"],
    ["INCRBYFLOAT", "fn", "0.1"], ["INCRBYFLOAT", "fn", "-0.15"], ["GET", "fn"],
    ["HINCRBYFLOAT", "hn", "g", "-0.01"], ["HGET", "hn", "g"], ["SET", "fz", "10"],
    ["INCRBYFLOAT", "fz", "-0.05"], ["GET", "fz"], ["SET", "ft", "0.1000000000000000000001"],
    ["INCRBYFLOAT", "ft", "0"], ["GET", "ft"],
    ["SET", "fi", I64_MAX], ["INCRBYFLOAT", "fi", "1"], ["INCRBYFLOAT", "sy", "1"],
    ["SET", "fs", "hello"], ["INCRBYFLOAT", "fs", "1"], ["INCR", "fc"], ["INCRBYFLOAT", "fc", "0.5"],
    ["HINCRBYFLOAT", "hf", "a", "1.5"], ["HINCRBYFLOAT", "hf", "a", "1e2"],
    ["HINCRBYFLOAT", "hf", "a", "nan"], ["HINCRBYFLOAT", "hf", "a", "inf"],
    ["HINCRBYFLOAT", "hf", "a", "x"], ["HSET", "hf", "b", "word"], ["HINCRBYFLOAT", "hf", "b", "1"],
    ["HINCRBYFLOAT", "fs", "a", "1"], ["HINCRBYFLOAT", "hf", "a", "-101.5"], ["HGETALL", "hf"],
    ["MSETNX", "mx1", "1", "mx2", "2"], ["MSETNX", "mx1", "1", "mx3", "2"], ["GET", "mx3"],
    ["MSETNX", "mx1"], ["MSETNX", "mx4", "1", "mx5"], ["MSETNX", "mx6", "1", "mx6", "2"],
    ["GET", "mx6"], ["SADD", "mst", "m"], ["MSETNX", "mst", "1"],
    ["MSETNX", "mx7", "1", "mst", "2"],
    ["EXISTS", "mx7"], ["SET", "mt", "1", "EX", "100"], ["MSETNX", "mt2", "1"], ["TTL", "mt2"],
    ["MSETNX", "mbig", BIG], ["STRLEN", "mbig"], ["MSETNX"],
    ["SET", "ca", "1"], ["SET", "cb", "x"], ["COPY", "ca", "ca"], ["COPY", "ca", "cb"],
    ["COPY", "ca", "cb", "REPLACE"], ["GET", "cb"], ["COPY", "nokey", "cb"],
    ["COPY", "ca", "cb", "DB", "0"], ["COPY", "ca", "cb", "DB", "16"],
    ["COPY", "ca", "cb", "DB", "x"],
    ["COPY", "ca", "cb", "DB"], ["COPY", "ca", "cb", "FOO"], ["COPY", "nokey", "n2", "DB", "16"],
    ["COPY", "ca", "ca", "DB", "0"], ["COPY", "ca", "cb", "DB", "-1"],
    ["COPY", "ca", "cb", "DB", "2147483648"], ["COPY", "ca", "cb", "DB", "-2147483649"],
    ["COPY", "ca", "cb", "replace", "replace"], ["COPY", "ca"],
    ["COPY", "ca", "cb", "DB", "0", "DB", "0"],
    ["COPY", "nokey", "nokey", "FOO"], ["COPY", "nokey", "nokey"],
    ["SET", "ct", "v", "EX", "100"], ["COPY", "ct", "ctc"], ["TTL", "ctc"],
    ["COPY", "ca", "ct", "REPLACE"],
    ["TTL", "ct"], ["SADD", "cs", "a", "b"], ["COPY", "cs", "csc"], ["SMEMBERS", "csc"],
    ["SADD", "csc", "c"], ["SCARD", "cs"], ["HSET", "ch", "f", "1", "g", "2"],
    ["HINCRBY", "ch", "f", "5"],
    ["COPY", "ch", "chc"], ["HGETALL", "chc"], ["HINCRBY", "chc", "f", "1"], ["HGET", "ch", "f"],
    ["RPUSH", "cl", "a", "b", "c"], ["COPY", "cl", "clc"], ["LRANGE", "clc", "0", "-1"],
    ["LPUSH", "clc", "z"], ["LLEN", "cl"], ["INCRBY", "cn", "5"], ["COPY", "cn", "cnc"],
    ["INCR", "cnc"], ["GET", "cn"], ["COPY", "cs", "ca", "REPLACE"], ["TYPE", "ca"],
    ["COPY", "ca", "cb", "DB", "1"],
]

# Which writes keep a key's TTL and which replace the value and with it the TTL, as Redis.
for setup, write in [
        (["SET", "t", "1"], ["MSET", "t", "2"]), (["SET", "t", "1"], ["APPEND", "t", "x"]),
        (["SET", "t", "1"], ["INCR", "t"]), (["SET", "t", "1"], ["GETSET", "t", "2"]),
        (["SET", "t", "1"], ["SET", "t", "2", "KEEPTTL"]), (["SET", "t", "1"], ["SET", "t", "2"]),
        (["SADD", "t", "a"], ["SADD", "t", "b"]), (["SADD", "t", "a"], ["SREM", "t", "a"]),
        (["SADD", "t", "a"], ["SUNIONSTORE", "t", "t"]), (["SADD", "t", "a"], ["SDIFFSTORE", "t", "t"]),
        (["HSET", "t", "f", "1"], ["HINCRBY", "t", "f", "2"]),
        (["HSET", "t", "f", "1"], ["HDEL", "t", "f"]), (["RPUSH", "t", "a"], ["LPUSH", "t", "b"]),
        (["RPUSH", "t", "a"], ["LSET", "t", "0", "b"]), (["RPUSH", "t", "a"], ["LPOP", "t"]),
        (["RPUSH", "t", "a"], ["RPOPLPUSH", "t", "t"]), (["RPUSH", "t", "a"], ["RENAME", "t", "u"]),
        (["SET", "t", "ab"], ["SETRANGE", "t", "1", "x"]),
        (["SET", "t", "a"], ["SETBIT", "t", "1", "1"]),
        (["SET", "t", "1"], ["COPY", "t", "u"]),
]:
    COORDINATED += [["DEL", "t", "u"], setup, ["EXPIRE", "t", "100"], write, ["TTL", "t"],
                    ["TTL", "u"]]


# Expiry on coordination-free keys as on linearizable ones (the scripts run on both pairs):
# relative TTLs long enough to read the same second on both servers, and keys that expire
# within a short sleep ("SLEEP seconds" is no command: the script runner waits; 0.3 s is past
# the 100 ms within which the log's clock passes a linearizable key's deadline).
EXPIRY = [
    ["SET", "x1", "v"], ["EXPIRE", "x1", "100"], ["TTL", "x1"], ["PERSIST", "x1"], ["TTL", "x1"],
    ["PERSIST", "x1"], ["SADD", "x2", "a"], ["PEXPIRE", "x2", "100000"], ["TTL", "x2"],
    ["SADD", "x2", "b"], ["TTL", "x2"], ["SETEX", "x3", "100", "v"], ["TTL", "x3"],
    ["GETEX", "x3", "PERSIST"], ["TTL", "x3"], ["GETEX", "x3", "EX", "200"], ["TTL", "x3"],
    ["SET", "x3", "w", "KEEPTTL"], ["TTL", "x3"], ["SET", "x3", "w", "PX", "300000"],
    ["TTL", "x3"], ["SET", "x3", "w"], ["TTL", "x3"], ["EXPIREAT", "x3", "4102444800"],
    ["EXPIRETIME", "x3"], ["PEXPIRETIME", "x3"], ["HSET", "x4", "f", "v"],
    ["EXPIRE", "x4", "-1"], ["EXISTS", "x4"], ["TTL", "x4"], ["HGETALL", "x4"],
    ["RPUSH", "x5", "a", "b"], ["PEXPIRE", "x5", "1"], ["SLEEP", "0.3"], ["EXISTS", "x5"],
    ["LRANGE", "x5", "0", "-1"], ["TYPE", "x5"], ["TTL", "x5"], ["PTTL", "x5"],
    ["SET", "x6", "v"], ["PEXPIRE", "x6", "1"], ["SLEEP", "0.3"], ["GET", "x6"],
    ["KEYS", "x6"], ["SET", "x7", "5"], ["PEXPIRE", "x7", "1"], ["SLEEP", "0.3"], ["INCR", "x7"],
    ["TTL", "x7"], ["SADD", "x8", "a"], ["PSETEX", "x8", "1", "v"], ["SLEEP", "0.3"],
    ["SADD", "x8", "b"], ["SMEMBERS", "x8"], ["SET", "x9", "v"], ["EXPIRE", "x9", "100"],
    ["EXPIRE", "x9", I64_MAX], ["PEXPIRE", "x9", I64_MAX], ["EXPIRE", "x9", I64_MIN],
    ["PEXPIREAT", "x9", I64_MAX], ["SETEX", "x9", "0", "v"], ["PSETEX", "x9", I64_MAX, "v"],
    ["GETEX", "x9", "EX", "-1"], ["GETEX", "x9", "PX", "0"], ["GETEX", "x9", "PERSIST", "EX", "1"],
    ["SET", "x9", "v", "EX", "0"], ["SET", "x9", "v", "PXAT", "x"], ["TTL", "x9"],
    ["EXPIRE", "x9", "10", "NX"], ["EXPIRE", "nokey", "10"], ["PEXPIRE", "x9", I64_MIN],
    ["EXISTS", "x9"], ["GETEX", "nokey", "EX", "10"], ["PERSIST", "nokey"],
]


def load_differences(path):
    """{command: (how, why)} from the file of deliberate differences."""
    out = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, how, why = (line.split(None, 2) + ["", ""])[:3]
            hows = how.split(",")
            if not set(hows) <= {"refused", "declined", "wide", "unordered", "pairs", "sample",
                                 "own", "scan", "scanpairs"} or not why:
                raise SystemExit(f"{path}:{number}: expected 'command how why', got {line!r}")
            if name in out:
                raise SystemExit(f"{path}:{number}: {name} is listed twice")
            out[name] = (hows, why)
    return out


def parse(raw):
    c = Conn.__new__(Conn)
    c.buf = bytearray(raw)
    return c.reply()


def parse_all(raw):
    """Every reply in `raw`, in order."""
    c = Conn.__new__(Conn)
    c.buf = bytearray(raw)
    out = []
    while c.buf:
        out.append(c.reply())
    return out


def key_of(reply):
    return repr(reply)


def same(how, a, b):
    """Whether calm-kvs's reply `a` is redis-server's `b` as `how` compares them."""
    if how is None:
        return a == b
    pa, pb = parse(a), parse(b)
    if how == "own":  # anything but an error, or Redis's very error
        return not isinstance(pa, RespError) or a == b
    if type(pa) is not type(pb):  # RESP3's set, map, push and double are types of their own
        return False
    if how in ("scan", "scanpairs"):  # [cursor, elements]: a set once both end the scan
        if not (isinstance(pa, list) and isinstance(pb, list) and len(pa) == len(pb) == 2):
            return a == b
        if pa[0] != b"0" or pb[0] != b"0":
            return isinstance(pa[1], list)  # each cursor is its own server's: check_scans
        return same("unordered" if how == "scan" else "pairs", Conn.encode(pa[1]),
                    Conn.encode(pb[1]))
    if not isinstance(pa, list) or not isinstance(pb, list):
        if how == "sample":  # one random element or nil: the same kind of reply
            return type(pa) is type(pb) and (not isinstance(pa, RespError) or a == b)
        return a == b
    if how == "unordered":
        return sorted(map(key_of, pa)) == sorted(map(key_of, pb))
    if how == "pairs":
        return (sorted(key_of(pa[i:i + 2]) for i in range(0, len(pa), 2)) ==
                sorted(key_of(pb[i:i + 2]) for i in range(0, len(pb), 2)))
    return len(pa) == len(pb)  # sample: as many


class Pair:
    """A calm-kvs replica and its redis-server, compared command by command."""

    def __init__(self, name, calm_port, redis_port, refuses, differences):
        self.name = name
        self.calm, self.redis = Conn(calm_port), Conn(redis_port)
        self.refuses = refuses
        self.differences = differences
        self.compared = self.refused = 0
        self.resp3 = False
        self.recent = collections.deque(maxlen=12)  # shown with a failure

    def compare(self, command):
        name = command[0].lower() if command else ""
        if name in SUBCOMMANDS and len(command) > 1:  # listed apart: "command|getkeys"
            name += "|" + command[1].lower()
        self.recent.append(command)
        hows, _ = self.differences.get(name, ([], None))
        a = self.calm.raw_call(*command)
        if "refused" in hows and self.refuses and a.startswith(b"-") and b"needs coordination" in a:
            self.refused += 1
            return True
        if "declined" in hows and a.startswith(b"-"):
            b = self.redis.raw_call(*command)
            self.compared += 1
            if b.startswith(b"-"):
                return same(None, a, b) or self.report(command, a, b)
            # Redis took it (SELECT 1): back to database 0, the one both have.
            self.redis.call("SELECT", "0")
            self.refused += 1
            return True
        if "wide" in hows and not self.refuses:
            how = "own"
        else:
            hows = [h for h in hows if h not in ("refused", "declined", "wide")]
            how = hows[0] if hows else None
        b = self.redis.raw_call(*command)
        self.compared += 1
        return same(how, a, b) or self.report(command, a, b)

    def use_resp3(self):
        """Both connections to RESP3 (HELLO 3: its reply names each server, so it is not
        compared; its shape is, in check_pushes)."""
        self.calm.call("HELLO", "3")
        self.redis.call("HELLO", "3")
        self.resp3 = True

    def run_script(self, script):
        for command in script:
            if command[0] == "SLEEP":  # past a short TTL on both servers
                time.sleep(float(command[1]))
                continue
            self.compare(command)
            if self.resp3 and command[0].lower() == "reset":  # RESET is back to RESP2
                self.use_resp3()
        # FLUSHALL empties the coordination-free keys only (docs/kvs.md): DEL every word the
        # script used, which holds its keys, on both sides.
        words = sorted({w for c in script for w in c[1:] if 0 < len(w) <= 16})
        self.compare(["DEL"] + words)
        self.compare(["FLUSHALL"])

    def report(self, command, a, b):
        shown = " ".join(c if len(c) <= 40 else c[:20] + f"...({len(c)} bytes)" for c in command)
        before = "; ".join(" ".join(c[:6])[:60] for c in list(self.recent)[:-1])
        fail(f"[{self.name}{', RESP3' if self.resp3 else ''}] {shown}: calm-kvs {a[:300]!r}, redis-server {b[:300]!r} "
             f"(after: {before})")
        return False


# Commands whose subcommands redis_differences.txt lists one by one ("command|docs").
SUBCOMMANDS = ("command", "config", "client", "object", "memory", "function")

KEYS = ["a", "b", "c"]
DECIMALS = ["0.1", "-0.15", "1.5", "-0.05", "0", "-0", "1e-20", "1e20", "-1e20", "3", "0x1p3",
            "2.5e-3", "0.1000000000000000000001", "-1e300", "inf", "abc", "1" + "0" * 30]
VALUES = ["x", "y", "", "10", "-3", I64_MAX, "zz"]


def random_command(rng, coordinated):
    k, k2 = rng.choice(KEYS), rng.choice(KEYS)
    v = rng.choice(VALUES)
    i, j = str(rng.randint(-4, 4)), str(rng.randint(-4, 4))
    # Small counts: a counter's lifetime total per replica is bounded (check_limits).
    n = rng.choice(["0", "1", "2", "5", "-1", "x", "-70", "1000"])
    field = rng.choice(["f", "g", "h"])
    several = [rng.choice(VALUES) for _ in range(rng.randint(1, 3))]
    choices = [
        lambda: ["SET", k, v], lambda: ["GET", k], lambda: ["APPEND", k, v],
        lambda: ["INCRBY", k, n], lambda: ["DECR", k], lambda: ["STRLEN", k],
        lambda: ["GETRANGE", k, i, j], lambda: ["MSET", k, v, k2, v], lambda: ["MGET", k, k2],
        lambda: ["SADD", k] + several, lambda: ["SREM", k] + several, lambda: ["SCARD", k],
        lambda: ["SMEMBERS", k], lambda: ["SISMEMBER", k, v], lambda: ["SINTER", k, k2],
        lambda: ["SUNIONSTORE", k, k, k2], lambda: ["SDIFF", k, k2],
        lambda: ["SRANDMEMBER", k, rng.choice(["10", "0"])],
        lambda: ["HSET", k, field, v], lambda: ["HGET", k, field], lambda: ["HDEL", k, field],
        lambda: ["HINCRBY", k, field, n], lambda: ["HGETALL", k], lambda: ["HLEN", k],
        lambda: ["HMGET", k, field, "g"],
        lambda: ["LPUSH", k] + several, lambda: ["RPUSH", k] + several,
        lambda: ["LPOP", k] if rng.random() < 0.5 else ["LPOP", k, rng.choice(["0", "1", "3"])],
        lambda: ["RPOP", k], lambda: ["LRANGE", k, i, j], lambda: ["LINDEX", k, i],
        lambda: ["LSET", k, i, v], lambda: ["LREM", k, i, v], lambda: ["LTRIM", k, i, j],
        lambda: ["LINSERT", k, rng.choice(["BEFORE", "AFTER"]), v, v],
        lambda: ["LMOVE", k, k2, rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"])],
        lambda: ["LPOS", k, v], lambda: ["LLEN", k],
        lambda: ["DEL", k], lambda: ["EXISTS", k, k2], lambda: ["TYPE", k],
        lambda: ["SETRANGE", k, rng.choice(["0", "1", "3", "5"]), v],
        lambda: ["GETBIT", k, rng.choice(["0", "1", "7", "9", "100"])],
        lambda: ["SETBIT", k, rng.choice(["0", "3", "7", "9", "20"]), rng.choice(["0", "1"])],
        lambda: ["BITCOUNT", k] + rng.choice([[], [i, j], [i, j, rng.choice(["BIT", "BYTE"])]]),
        lambda: ["BITPOS", k, rng.choice(["0", "1"])] + rng.choice(
            [[], [i], [i, j], [i, j, rng.choice(["BIT", "BYTE"])]]),
        lambda: ["LCS", k, k2] + rng.choice(
            [[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN", "MINMATCHLEN", "2"]]),
        lambda: ["SINTERCARD", "2", k, k2] + rng.choice([[], ["LIMIT", "1"]]),
        lambda: ["SSCAN", k, "0"] + rng.choice([[], ["MATCH", "*z*"], ["COUNT", "100"]]),
        lambda: ["HSCAN", k, "0"] + rng.choice([[], ["MATCH", "g"]]),
        lambda: ["HRANDFIELD", k] + rng.choice([[], [n], [n, "WITHVALUES"]]),
        lambda: ["RANDOMKEY"],
        lambda: ["ZADD", k, rng.choice(["1", "2.5", "-1", "x"]), v] + rng.choice(
            [[], [rng.choice(["0", "3"]), rng.choice(VALUES)]]),
        lambda: ["ZINCRBY", k, rng.choice(["1", "0.5", "-2", "x"]), v],
        lambda: ["ZREM", k] + several, lambda: ["ZSCORE", k, v], lambda: ["ZCARD", k],
        lambda: ["ZRANGE", k, i, j] + rng.choice([[], ["WITHSCORES"], ["REV"]]),
        lambda: ["ZRANGEBYSCORE", k, rng.choice(["-inf", "(1", "0"]), rng.choice(["+inf", "2"])],
        lambda: ["ZRANK", k, v], lambda: ["ZCOUNT", k, "-inf", rng.choice(["1", "(2.5"])],
        lambda: ["ZPOPMIN", k] + rng.choice([[], ["2"]]), lambda: ["ZPOPMAX", k],
        lambda: ["ZREMRANGEBYRANK", k, i, j], lambda: ["ZMSCORE", k, v, "x"],
        # Expiry, on both classes of keys: TTLs long enough to read the same second on both.
        lambda: ["EXPIRE", k, rng.choice(["100", "200", "-1"])],
        lambda: ["PEXPIRE", k, rng.choice(["150000", "250000"])],
        lambda: ["SETEX", k, rng.choice(["100", "300"]), v],
        lambda: ["GETEX", k] + rng.choice([["PERSIST"], ["EX", "400"]]),
        lambda: ["SET", k, v] + rng.choice([["EX", "500"], ["KEEPTTL"]]),
        lambda: ["PERSIST", k], lambda: ["TTL", k],
        # Decimal counters, summed exactly on a coordination-free key: small and large
        # magnitudes, signs, and texts that only long double reads.
        lambda: ["INCRBYFLOAT", k, rng.choice(DECIMALS)],
        lambda: ["HINCRBYFLOAT", k, field, rng.choice(DECIMALS)],
        lambda: ["SET", k, rng.choice(DECIMALS)],
    ]
    if coordinated:
        choices += [
            lambda: ["SETNX", k, v], lambda: ["GETSET", k, v], lambda: ["GETDEL", k],
            lambda: ["SET", k, v, rng.choice(["NX", "XX", "GET"])],
            lambda: ["RENAME", k, k2], lambda: ["RENAMENX", k, k2],
            lambda: ["SMOVE", k, k2, v], lambda: ["HSETNX", k, field, v],
            # GT and LT compare deadlines in ms: a TTL equal to the key's would compare the two
            # commands' milliseconds, which differ between servers. No other command uses these.
            lambda: ["EXPIRE", k, str(rng.randint(1000, 99999)),
                     rng.choice(["NX", "XX", "GT", "LT"])],
            lambda: ["MSETNX", k, v, k2, v],
            lambda: ["COPY", k, k2] + rng.choice([[], ["REPLACE"]]),
            lambda: ["ZADD", k, rng.choice(["NX", "XX", "GT", "LT"]), rng.choice(["1", "3"]), v],
        ]
    return rng.choice(choices)()


def random_walk(pair, rng, ops):
    """`ops` random commands of every family on a few keys, so that types collide."""
    for step in range(ops):
        if not pair.compare(random_command(rng, not pair.refuses)):
            break
        if step % 50 == 0:
            for k in KEYS:
                pair.compare(["TYPE", k])


def check_pushes(calm_port, redis_port):
    """RESP3's Pub/Sub, byte for byte: confirmations and messages are pushes (>), a subscribed
    connection runs any command, and RESET is back to RESP2."""
    # (command, how many replies it gets); None: PUBLISH from another connection, two pushes.
    steps = [(("SUBSCRIBE", "c1", "c2"), 2), (("PSUBSCRIBE", "p*"), 1), (("GET", "x"), 1),
             (("PING",), 1), (("PING", "hi"), 1), (None, 2), (("UNSUBSCRIBE",), 2),
             (("PUNSUBSCRIBE",), 1), (("UNSUBSCRIBE",), 1), (("RESET",), 1), (("GET", "x"), 1),
             (("SUBSCRIBE", "c1"), 1), (("PING",), 1), (("RESET",), 1)]
    seen = {}
    for name, port in (("calm-kvs", calm_port), ("redis-server", redis_port)):
        sub, pub = Conn(port), Conn(port)
        out = []
        try:
            sub.call("HELLO", "3")  # names the server: not compared
            for command, replies in steps:
                if command is None:
                    pub.call("PUBLISH", "c1", "m")
                    pub.call("PUBLISH", "pq", "m2")
                else:
                    sub.send(command)
                out.append(b"".join(sub.raw_reply() for _ in range(replies)))
        finally:
            sub.close()
            pub.close()
        seen[name] = out
    for (command, _), a, b in zip(steps, seen["calm-kvs"], seen["redis-server"]):
        if command == ("UNSUBSCRIBE",) and a != b:
            # Every channel, in each server's own order (Redis's: its hash table's): the same
            # channels, and the counts going down alike.
            pa, pb = parse_all(a), parse_all(b)
            if (sorted(p[1] for p in pa) == sorted(p[1] for p in pb) and
                    [(p[0], p[2]) for p in pa] == [(p[0], p[2]) for p in pb] and
                    all(isinstance(p, RespPush) for p in pa + pb)):
                continue
        if a != b:
            fail(f"[RESP3 Pub/Sub] {command or 'PUBLISH'}: calm-kvs {a[:300]!r}, "
                 f"redis-server {b[:300]!r}")


def arity_commands(names, differences):
    """Each command with no arguments, and with more than any of its forms takes."""
    out = []
    for name in names:
        if name in ("quit", "multi", "exec", "discard", "unwatch", "flushall", "flushdb",
                    "subscribe", "psubscribe", "unsubscribe", "punsubscribe"):
            # They end the connection, open a transaction, empty the keyspace, or answer with
            # a reply per argument and enter the subscribed state (pubsub.py compares those).
            continue
        if "own" in differences.get(name, ([],))[0]:
            continue
        out.append([name])
        out.append([name] + ["k"] * 7)
    return out


# INFO fields that clients and tools read (redis-cli --stat, redis-py's info(), dashboards):
# both servers must have each, and calm-kvs's must be a figure where Redis's is.
INFO_FIELDS = [
    "redis_version", "redis_mode", "process_id", "run_id", "tcp_port", "uptime_in_seconds",
    "uptime_in_days", "connected_clients", "blocked_clients", "maxclients", "used_memory",
    "used_memory_human", "used_memory_rss", "used_memory_peak", "maxmemory", "maxmemory_policy",
    "mem_allocator", "loading", "aof_enabled", "total_connections_received",
    "total_commands_processed", "instantaneous_ops_per_sec", "total_net_input_bytes",
    "total_net_output_bytes", "rejected_connections", "total_error_replies", "expired_keys",
    "evicted_keys", "role", "connected_slaves", "used_cpu_sys", "used_cpu_user",
]


def info_fields(conn, *sections):
    text = conn.call("INFO", *sections)
    out = {}
    for line in text.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def check_info_and_tools(calm_port, redis_port):
    """INFO has the fields tools read, with figures; redis-cli --stat prints them."""
    calm, redis = Conn(calm_port), Conn(redis_port)

    def stat_field(text, field):
        parts = dict(p.split("=", 1) for p in text.split(","))
        return int(parts[field])
    before = info_fields(calm, "all")
    for _ in range(3):
        calm.call("GET", "x")
    calm.call("NOSUCHCOMMAND")
    ours, theirs = info_fields(calm), info_fields(redis)
    for name in INFO_FIELDS:
        if name not in theirs:
            fail(f"redis-server's INFO has no {name}: the list is wrong")
        elif name not in ours:
            fail(f"calm-kvs's INFO has no {name}")
        elif theirs[name].lstrip("-").replace(".", "", 1).isdigit() and \
                not ours[name].lstrip("-").replace(".", "", 1).isdigit():
            fail(f"calm-kvs's INFO {name} is {ours[name]!r}, not a figure")
    if int(ours.get("used_memory", "0")) <= 0 or int(ours.get("total_commands_processed", "0")) < 4:
        fail(f"calm-kvs's INFO figures are not true: {ours}")
    after = info_fields(calm, "all")
    calls = [stat_field(i.get("cmdstat_get", "calls=0"), "calls") for i in (before, after)]
    if calls[1] - calls[0] != 3:
        fail(f"INFO all: cmdstat_get went from {calls[0]} to {calls[1]} calls over 3 GETs")
    errors = [stat_field(i.get("errorstat_ERR", "count=0"), "count") for i in (before, after)]
    if errors[1] - errors[0] != 1:
        fail(f"INFO all: errorstat_ERR went from {errors[0]} to {errors[1]} over one error")
    if "cmdstat_get" in ours:
        fail("INFO's default sections hold commandstats; Redis leaves them to INFO all")
    # CONFIG RESETSTAT zeroes the statistics, as Redis's does.
    calm.call("CONFIG", "RESETSTAT")
    reset = info_fields(calm, "all")
    if "cmdstat_get" in reset or int(reset.get("total_commands_processed", "99")) > 2 or \
            "errorstat_ERR" in reset:
        fail(f"CONFIG RESETSTAT left statistics: {reset.get('total_commands_processed')} "
             f"commands, cmdstat_get {reset.get('cmdstat_get')}")
    stat = subprocess.run(["stdbuf", "-o0", "timeout", "1.5", "redis-cli", "-p", str(calm_port), "--stat", "-i",
                           "0.2"], capture_output=True, text=True)
    lines = [line for line in stat.stdout.splitlines() if line.strip()]
    if len(lines) < 3 or "-9223372036854775808" in stat.stdout or "keys" not in lines[1]:
        fail(f"redis-cli --stat printed {stat.stdout[:400]!r}")
    calm.close()
    redis.close()


def check_limits(calm_port):
    """A value whose delta cannot fit one replication message is refused, and changes nothing
    (docs/kvs.md: Redis takes up to 512 MB)."""
    calm = Conn(calm_port)
    for command in (["SET", "v", TOO_BIG], ["RPUSH", "v", TOO_BIG], ["SADD", "v", TOO_BIG],
                    ["HSET", "v", "f", TOO_BIG], ["APPEND", "v", TOO_BIG]):
        reply = calm.call(*command)
        if not isinstance(reply, RespError) or "calm-kvs takes values" not in str(reply):
            fail(f"{command[0]} of {len(TOO_BIG)} bytes: calm-kvs replied {reply!r}")
    # SETRANGE and SETBIT: the string they would make, not the argument, is the value.
    for command in (["SETRANGE", "v", str(1 << 20), "x"], ["SETBIT", "v", str(8 << 20), "1"]):
        reply = calm.call(*command)
        if not isinstance(reply, RespError) or "calm-kvs takes values" not in str(reply):
            fail(f"{command[0]} past the write limit: calm-kvs replied {reply!r}")
    if calm.call("EXISTS", "v") != 0:
        fail("a refused write left a key")
    # LCS's table is bounded (16 Mi cells) below Redis's (512 MB of table): refused, not built.
    calm.call("MSET", "lcs:a", "a" * 5000, "lcs:b", "b" * 5000)
    reply = calm.call("LCS", "lcs:a", "lcs:b")
    if not isinstance(reply, RespError) or "calm-kvs computes LCS" not in str(reply):
        fail(f"LCS of two 5,000-byte strings replied {reply!r}")
    calm.call("DEL", "lcs:b")
    calm.call("SET", "lcs:a", "a" * 4000)
    if calm.call("LCS", "lcs:a", "lcs:a", "LEN") != 4000:
        fail("LCS of two 4,000-byte strings, within the bound, did not answer 4000")
    calm.call("DEL", "lcs:a")
    # The counter's lifetime bound: this replica's increments of one key past 2^64 - 1 in all
    # (Redis would answer 2: the key reads 0 before the last INCRBY).
    for command in (["INCRBY", "lifetime", I64_MAX], ["DECRBY", "lifetime", I64_MAX]) * 2:
        calm.call(*command)
    reply = calm.call("INCRBY", "lifetime", "2")
    if not isinstance(reply, RespError) or "would overflow" not in str(reply):
        fail(f"INCRBY past a replica's lifetime total of 2^64 - 1 replied {reply!r}")
    calm.close()


def check_scans(calm_port, redis_port, name):
    """SSCAN and HSCAN of collections larger than a call, to the end: each server's cursors are
    its own, so the elements of one call differ, but a whole scan sees every member once at
    least (calm-kvs: exactly once), as Redis's; with MATCH, the members that match."""
    calm, redis = Conn(calm_port), Conn(redis_port)
    members = [f"m{i}" for i in range(300)]
    for conn in (calm, redis):
        conn.call("DEL", "scan:s", "scan:h")
        conn.call("SADD", "scan:s", *members)
        conn.call("HSET", "scan:h", *[w for m in members for w in (m, "v" + m)])

    def whole(conn, command, key, *options):
        seen, cursor, calls = [], "0", 0
        while True:
            reply = conn.call(command, key, cursor, *options)
            cursor = reply[0].decode()
            seen += [e.decode() for e in reply[1]]
            calls += 1
            if cursor == "0" or calls > 2000:
                return seen, calls
    for options in ([], ["COUNT", "7"], ["COUNT", "1", "MATCH", "m1*"], ["COUNT", "1000"]):
        ours, calls = whole(calm, "SSCAN", "scan:s", *options)
        theirs, _ = whole(redis, "SSCAN", "scan:s", *options)
        if sorted(ours) != sorted(set(theirs)) or calls > 65 + 300:
            fail(f"[{name}] a whole SSCAN {options}: calm-kvs saw {len(ours)} members in {calls} "
                 f"calls, redis-server {len(set(theirs))}")
        ours, _ = whole(calm, "HSCAN", "scan:h", *options)
        theirs, _ = whole(redis, "HSCAN", "scan:h", *options)
        pairs = sorted(zip(ours[::2], ours[1::2]))
        if pairs != sorted(set(zip(theirs[::2], theirs[1::2]))) or len(pairs) != len(set(pairs)):
            fail(f"[{name}] a whole HSCAN {options}: calm-kvs saw {len(pairs)} fields, "
                 f"redis-server {len(set(zip(theirs[::2], theirs[1::2])))}")
    for conn in (calm, redis):
        conn.call("DEL", "scan:s", "scan:h")
    calm.close()
    redis.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("calm_kvs")
    ap.add_argument("work_dir")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ops", type=int, default=3000)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"seed {seed}")
    differences = load_differences(os.path.join(HERE, "redis_differences.txt"))
    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    redis_ports = free_ports(2)
    redises = [start_redis(p, args.work_dir) for p in redis_ports]
    free = Replica(args.calm_kvs, os.path.join(args.work_dir, "free"),
                   log=os.path.join(args.work_dir, "free.log"))
    linear = Replica(args.calm_kvs, os.path.join(args.work_dir, "linear"),
                     log=os.path.join(args.work_dir, "linear.log"), extra=["--linearizable", "*"])
    fresh = [Replica(args.calm_kvs, os.path.join(args.work_dir, "free3"),
                     log=os.path.join(args.work_dir, "free3.log")),
             Replica(args.calm_kvs, os.path.join(args.work_dir, "linear3"),
                     log=os.path.join(args.work_dir, "linear3.log"),
                     extra=["--linearizable", "*"])]
    pairs = []
    try:
        deadline = time.time() + 20
        while not all(ping(p) for p in redis_ports) and time.time() < deadline:
            time.sleep(0.05)
        if not all(ping(p) for p in redis_ports):
            fail("redis-server did not start")
        elif free.start() and linear.start():
            pairs = [Pair("coordination-free", free.port, redis_ports[0], True, differences),
                     Pair("linearizable", linear.port, redis_ports[1], False, differences)]
            names = [n.decode() if isinstance(n, bytes) else n[0].decode()
                     for n in pairs[0].calm.call("COMMAND")]
            scripts = [CONNECTION, SERVER, STRINGS, BITS, KEYS_FAMILY, SETS, HASHES, LISTS, ZSETS,
                       COORDINATED, EXPIRY, arity_commands(sorted(names), differences)]
            for pair in pairs:
                for script in scripts:
                    pair.run_script(script)
            for pair in pairs:
                random_walk(pair, random.Random(seed), args.ops)
            # RESP3 (HELLO 3): every script again and a shorter walk, each reply in RESP3's
            # types (maps, sets, doubles, nulls) compared byte for byte. On fresh replicas and
            # emptied redis-servers: a coordination-free counter remembers its whole life's
            # increments (docs/kvs.md), so the scripts' boundary INCRBYs would not fit twice.
            resp2_counts = [(p.compared, p.refused) for p in pairs]
            for pair, replica in zip(pairs, fresh):
                if not replica.start():
                    break
                pair.calm.close()
                pair.calm = Conn(replica.port)
                pair.redis.call("FLUSHALL")
                pair.use_resp3()
                for script in scripts:
                    pair.run_script(script)
                random_walk(pair, random.Random(seed + 1), args.ops // 3)
            check_pushes(fresh[0].port, redis_ports[0])
            check_scans(free.port, redis_ports[0], "coordination-free")
            check_scans(linear.port, redis_ports[1], "linearizable")
            check_info_and_tools(free.port, redis_ports[0])
            check_limits(free.port)
            for pair, (compared2, refused2) in zip(pairs, resp2_counts):
                print(f"{pair.name}: {pair.compared} replies compared ({compared2} in RESP2, "
                      f"{pair.compared - compared2} in RESP3), {pair.refused} refused as listed "
                      f"({refused2} in RESP2)")
    finally:
        for replica in [free, linear] + fresh:
            replica.stop()
        for r in redises:
            r.terminate()
            r.wait(timeout=10)
    if FAILURES:
        for f in FAILURES[:40]:
            print("FAILED:", f)
        print(f"seed {seed}: {len(FAILURES)} failures")
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
