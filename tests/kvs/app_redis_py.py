#!/usr/bin/env python3
"""An application written for Redis, run unchanged with redis-py against redis-server 7.0 and
against one calm-kvs replica, its results compared step by step (issue 17's "done when").

The application is a small game service: user profiles (strings, hashes), sessions with expiry,
a rate counter, a leaderboard (sorted sets), a job queue (lists), tags (sets), pipelines with
and without transactions, a lock built on SET NX PX and released with WATCH/MULTI, redis-py's
own Lock, Pub/Sub, and the INFO fields and scans that dashboards read. calm-kvs runs with the
session and lock keys linearizable (`--linearizable 'session:*,lock:*'`), as docs/kvs.md
advises for keys whose commands need agreement; everything else is coordination-free.

Each step's result must be the same on both servers, except where the step says it reads
something of each server's own (a random key, a client id, a figure of INFO): then it must be
of the same kind. No step may raise. Bounded: each start waits at most 20 s, each call 5 s.

usage: app_redis_py.py CALM_KVS WORK_DIR
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import (FAILURES, Replica, fail, redis_answers, redis_py_module,  # noqa: E402
                         start_redis, wait_until)
from ports import free_ports  # noqa: E402

OWN = object()  # a step whose result is each server's own: compared by kind only


def steps(r):
    """(name, call, how) for each step of the application, on the client `r`."""
    def release_lock(name, token):
        # The classic check-and-delete: WATCH the lock, delete it only if it is still ours.
        with r.pipeline() as p:
            p.watch(name)
            if p.get(name) != token:
                p.unwatch()
                return False
            p.multi()
            p.delete(name)
            return p.execute() == [1]

    def pubsub_round_trip():
        p = r.pubsub()
        p.subscribe("game:events")
        first = p.get_message(timeout=5)
        r.publish("game:events", "level-up")
        message = None
        deadline = time.time() + 5
        while message is None and time.time() < deadline:
            message = p.get_message(timeout=1)
        p.close()
        return [first["type"], message and message["data"]]

    def leaderboard_top(n):
        return r.zrevrange("board", 0, n - 1, withscores=True)

    return [
        ("profile set", lambda: r.set("user:1:name", "ada"), None),
        ("profile get", lambda: r.get("user:1:name"), None),
        ("profile hash", lambda: r.hset("user:1", mapping={"name": "ada", "level": "3"}), None),
        ("profile hgetall", lambda: sorted(r.hgetall("user:1").items()), None),
        ("profile hincrby", lambda: r.hincrby("user:1", "level", 1), None),
        ("profile hdel", lambda: r.hdel("user:1", "missing", "name"), None),
        ("session set ex", lambda: r.set("session:1", "token-1", ex=600), None),
        ("session setex", lambda: r.setex("session:2", 600, "token-2"), None),
        ("session ttl", lambda: r.ttl("session:1") in (599, 600), None),
        ("session expire", lambda: r.expire("session:2", 300), None),
        ("session persist", lambda: r.persist("session:2"), None),
        ("session ttl after persist", lambda: r.ttl("session:2"), None),
        ("session getex", lambda: r.getex("session:1", px=100000), None),
        ("session pttl", lambda: 0 < r.pttl("session:1") <= 100000, None),
        ("session expire in the past", lambda: r.expire("session:1", -1), None),
        ("session gone", lambda: r.exists("session:1"), None),
        ("rate incr", lambda: [r.incr("rate:ada") for _ in range(3)], None),
        ("rate incrby", lambda: r.incrby("rate:ada", 10), None),
        ("rate decr", lambda: r.decr("rate:ada"), None),
        ("board zadd", lambda: r.zadd("board", {"ada": 30, "bob": 10, "cy": 20}), None),
        ("board zadd ch", lambda: r.zadd("board", {"bob": 25, "dee": 5}, ch=True), None),
        ("board zincrby", lambda: r.zincrby("board", 12.5, "cy"), None),
        ("board top 3", lambda: leaderboard_top(3), None),
        ("board rank", lambda: [r.zrevrank("board", "cy"), r.zrank("board", "dee")], None),
        ("board score", lambda: [r.zscore("board", "ada"), r.zscore("board", "nobody")], None),
        ("board mscore", lambda: r.zmscore("board", ["bob", "nobody"]), None),
        ("board count", lambda: [r.zcard("board"), r.zcount("board", 10, "+inf")], None),
        ("board by score", lambda: r.zrangebyscore("board", "(10", 30, withscores=True), None),
        ("board zrange byscore rev limit",
         lambda: r.zrange("board", 100, 0, byscore=True, desc=True, offset=1, num=2), None),
        ("board zrem", lambda: r.zrem("board", "dee", "nobody"), None),
        ("board zpopmin", lambda: r.zpopmin("board"), None),
        ("board zscan", lambda: sorted(r.zscan_iter("board")), None),
        ("board zrandmember", lambda: len(r.zrandmember("board", 2)), None),
        ("board remrangebyscore", lambda: r.zremrangebyscore("board", "-inf", 29), None),
        ("board after", lambda: r.zrange("board", 0, -1, withscores=True), None),
        ("queue lpush", lambda: r.lpush("jobs", "j1", "j2", "j3"), None),
        ("queue rpop", lambda: r.rpop("jobs"), None),
        ("queue lrange", lambda: r.lrange("jobs", 0, -1), None),
        ("queue llen", lambda: r.llen("jobs"), None),
        ("tags sadd", lambda: r.sadd("tags", "fast", "new", "fast"), None),
        ("tags smembers", lambda: sorted(r.smembers("tags")), None),
        ("tags sscan", lambda: sorted(r.sscan_iter("tags")), None),
        ("tags srem", lambda: r.srem("tags", "new"), None),
        ("pipeline (transaction)",
         lambda: r.pipeline().set("p", 1).incr("p").get("p").execute(), None),
        ("pipeline (no transaction)",
         lambda: r.pipeline(transaction=False).set("p2", 1).get("p2").zadd("pz", {"m": 1})
         .zscore("pz", "m").execute(), None),
        ("lock acquire (SET NX PX)", lambda: r.set("lock:job", "me", nx=True, px=5000), None),
        ("lock held elsewhere", lambda: r.set("lock:job", "them", nx=True, px=5000), None),
        ("lock release (WATCH, MULTI)", lambda: release_lock("lock:job", b"me"), None),
        ("lock released", lambda: r.exists("lock:job"), None),
        ("redis-py Lock acquire",
         lambda: r.lock("lock:other", timeout=5).acquire(blocking=False), None),
        ("publish", lambda: r.publish("nobody", "m"), None),
        ("subscribe", pubsub_round_trip, None),
        ("info fields",
         lambda: [type(r.info()[k]).__name__ for k in (
             "used_memory", "uptime_in_seconds", "role", "maxmemory", "mem_allocator",
             "total_commands_processed", "connected_clients")], None),
        ("dbsize", lambda: r.dbsize(), OWN),
        # SCAN lists a replica's coordination-free keys (docs/kvs.md): not the linearizable ones.
        ("scan_iter", lambda: sorted(k for k in r.scan_iter() if not k.startswith(
            (b"lock:", b"session:"))), None),
        ("randomkey", lambda: r.randomkey(), OWN),
        ("client_id", lambda: r.client_id(), OWN),
        ("client_list", lambda: len(r.client_list()), None),
        ("delete", lambda: r.delete("p", "p2", "nothing"), None),
        ("exists", lambda: r.exists("user:1:name", "user:1", "gone"), None),
        ("type", lambda: [r.type(k) for k in ("board", "jobs", "tags", "user:1", "rate:ada")],
         None),
    ]


def run(redis, port):
    """Each step's (name, result or the exception's text, whether it raised)."""
    r = redis.Redis(port=port, socket_timeout=5)
    out = []
    for name, call, how in steps(r):
        try:
            out.append((name, call(), False, how))
        except Exception as e:  # noqa: BLE001 -- any failure is the finding
            out.append((name, f"{type(e).__name__}: {e}", True, how))
    r.close()
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    redis = redis_py_module()
    if redis is None:
        return 1
    redis_port, = free_ports(1)
    server = start_redis(redis_port, work)
    calm = Replica(binary, os.path.join(work, "calm"), log=os.path.join(work, "calm.log"),
                   extra=["--linearizable", "session:*,lock:*"])
    try:
        wait_until(lambda: redis_answers(redis_port), "redis-server answers")
        if not calm.start():
            fail("calm-kvs did not start")
        if FAILURES:
            return report()
        theirs = run(redis, redis_port)
        ours = run(redis, calm.port)
        for (name, a, a_raised, how), (_, b, b_raised, _) in zip(ours, theirs):
            if a_raised or b_raised:
                fail(f"{name}: calm-kvs {'raised ' if a_raised else ''}{a!r}, "
                     f"redis-server {'raised ' if b_raised else ''}{b!r}")
            elif how is OWN:
                if type(a) is not type(b):
                    fail(f"{name}: calm-kvs {a!r} and redis-server {b!r} differ in kind")
            elif a != b:
                fail(f"{name}: calm-kvs {a!r}, redis-server {b!r}")
        print(f"{len(ours)} steps compared")
    finally:
        calm.stop()
        server.terminate()
        server.wait(timeout=10)
    return report()


def report():
    for f in FAILURES:
        print("FAILED:", f)
    if FAILURES:
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
