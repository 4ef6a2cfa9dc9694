#!/usr/bin/env python3
"""calm-kvs's lists against redis-server itself: the same commands, sent to both over RESP, must
get the same bytes back. A fixed script covers every list command, its options, its errors and
WRONGTYPE across families; then a seeded random walk of list commands on a few keys compares
every reply (and each key's whole list after it). One calm-kvs replica, whose keys are
coordination-free, against one redis-server without persistence.

Bounded: each start waits 20 s; each reply 10 s. usage: lists_vs_redis.py CALM_KVS WORK_DIR
[--seed S] [--ops N]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import FAILURES, Conn, Replica, RespError, fail, ping  # noqa: E402
from ports import free_ports  # noqa: E402

SCRIPT = [
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
    ["SET", "s", "v"], ["SADD", "set", "x"], ["HSET", "h", "f", "v"],
    ["LPUSH", "s", "a"], ["RPUSH", "set", "a"], ["LRANGE", "h", "0", "1"], ["LLEN", "s"],
    ["LPOP", "set"], ["LINDEX", "h", "0"], ["LSET", "s", "0", "a"], ["LREM", "s", "0", "a"],
    ["LTRIM", "s", "0", "1"], ["LPOS", "s", "a"], ["LINSERT", "s", "BEFORE", "a", "b"],
    ["LMOVE", "s", "m", "LEFT", "LEFT"], ["LMOVE", "m", "s", "LEFT", "LEFT"],
    ["LMOVE", "nolist", "s", "LEFT", "LEFT"], ["LPUSHX", "s", "a"],
    ["GET", "m"], ["SADD", "m", "x"], ["HGET", "m", "f"], ["INCR", "m"], ["APPEND", "m", "x"],
    ["SET", "m", "replaced"], ["GET", "m"], ["TYPE", "m"], ["RPUSH", "m", "again"],
    ["DEL", "n"], ["EXISTS", "n"], ["LPUSH"], ["LPUSH", "k"], ["LRANGE", "k", "0"],
    ["LINSERT", "k", "BEFORE", "a"], ["LMOVE", "a", "b", "LEFT"], ["LPOS", "k"],
]

KEYS = ["q1", "q2", "q3"]
VALUES = ["a", "b", "c", "", "dd", "a"]


def random_command(rng):
    k = rng.choice(KEYS)
    v = rng.choice(VALUES)
    i = str(rng.randint(-6, 6))
    j = str(rng.randint(-6, 6))
    n = str(rng.randint(0, 4))
    choice = rng.randrange(16)
    if choice == 0:
        return ["LPUSH", k] + [rng.choice(VALUES) for _ in range(rng.randint(1, 3))]
    if choice == 1:
        return ["RPUSH", k] + [rng.choice(VALUES) for _ in range(rng.randint(1, 3))]
    if choice == 2:
        return ["LPOP", k] if rng.random() < 0.5 else ["LPOP", k, n]
    if choice == 3:
        return ["RPOP", k] if rng.random() < 0.5 else ["RPOP", k, n]
    if choice == 4:
        return ["LSET", k, i, v]
    if choice == 5:
        return ["LINSERT", k, rng.choice(["BEFORE", "AFTER"]), rng.choice(VALUES), v]
    if choice == 6:
        return ["LREM", k, i, v]
    if choice == 7:
        return ["LTRIM", k, i, j]
    if choice == 8:
        cmd = ["LPOS", k, v]
        for option, value in (("RANK", rng.choice(["1", "2", "-1", "-2"])), ("COUNT", n),
                              ("MAXLEN", rng.choice(["0", "2", "5"]))):
            if rng.random() < 0.4:
                cmd += [option, value]
        return cmd
    if choice == 9:
        return ["LMOVE", k, rng.choice(KEYS), rng.choice(["LEFT", "RIGHT"]),
                rng.choice(["LEFT", "RIGHT"])]
    if choice == 10:
        return ["RPOPLPUSH", k, rng.choice(KEYS)]
    if choice == 11:
        return ["LINDEX", k, i]
    if choice == 12:
        return ["LRANGE", k, i, j]
    if choice == 13:
        return [rng.choice(["LPUSHX", "RPUSHX"]), k, v]
    if choice == 14:
        return ["LLEN", k]
    return ["DEL", k] if rng.random() < 0.3 else ["LRANGE", k, "0", "-1"]


def show(reply):
    if isinstance(reply, RespError):
        return f"-{reply}"
    return repr(reply)


def compare(calm, redis, command):
    a, b = calm.call(*command), redis.call(*command)
    if show(a) != show(b):
        fail(f"{' '.join(command)}: calm-kvs {show(a)}, redis-server {show(b)}")
        return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("calm_kvs")
    ap.add_argument("work_dir")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ops", type=int, default=3000)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"seed {seed}")
    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    (redis_port,) = free_ports(1)
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", args.work_dir], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    replica = Replica(args.calm_kvs, os.path.join(args.work_dir, "calm"),
                      log=os.path.join(args.work_dir, "calm.log"))
    try:
        deadline = time.time() + 20
        while not ping(redis_port) and time.time() < deadline:
            time.sleep(0.05)
        if not ping(redis_port):
            fail("redis-server did not start")
        elif replica.start():
            calm, reference = Conn(replica.port), Conn(redis_port)
            for command in SCRIPT:
                compare(calm, reference, command)
            rng = random.Random(seed)
            for step in range(args.ops):
                command = random_command(rng)
                if not compare(calm, reference, command):
                    break
                if step % 50 == 0:
                    for k in KEYS:
                        if not compare(calm, reference, ["LRANGE", k, "0", "-1"]):
                            break
            print(f"{len(SCRIPT)} scripted and {args.ops} random commands compared")
    finally:
        replica.stop()
        redis.terminate()
        redis.wait(timeout=10)
    if FAILURES:
        for f in FAILURES[:20]:
            print("FAILED:", f)
        print(f"seed {seed}: {len(FAILURES)} failures")
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
