#!/usr/bin/env python3
"""calm-kvs's two classes of keys under faults, Jepsen-style, against three real processes on
loopback (docs/kvs.md, "Consistency classes"):

  - Clients at every replica run SET / GET / INCR / MULTI-INCR-INCR-EXEC on linearizable keys,
    take a lock with SET NX PX, and write coordination-free keys (SADD of unique elements,
    INCRBY), while a nemesis kills replicas with SIGKILL and restarts them, and pauses them with
    SIGSTOP (a partition: a paused replica hears nothing and says nothing).
  - The linearizable history is checked by calm_kvs_check_history (the library's
    linearizability checker): an operation whose reply was lost or failed counts as unknown.
    The lock never has two holders: a holder counts its lock from its reply until its
    request's send time plus the lock's time (one machine: one clock). INCR ids are never
    handed out twice.
  - After healing, every replica reads the same coordination-free values, and they hold every
    acknowledged effect plus some of the unknown ones (as Maelstrom's g-set and pn-counter
    checkers ask).
  - A replica cut off from a majority answers linearizable commands with NOQUORUM within its
    timeout and serves coordination-free ones at once.
  - redis-py (Debian's python3-redis) runs transactions, WATCH-based optimistic updates and
    pipelines unchanged; redis-benchmark runs pipelines on linearizable keys.

Bounded: about 20 s of faults, each wait 20 s at most. The nemesis's choices come from --seed
(printed, so a failure replays its schedule).

usage: faults.py CALM_KVS CHECK_HISTORY WORK_DIR [--seed S] [--seconds N]
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import (FAILURES, Conn, RespError, cli, cluster, fail, info_field,  # noqa: E402
                         redis_py_module, wait_until)

LINEARIZABLE = "lock:*,id:*,reg:*,key:*,counter:*"
TIMEOUT_MS = 1000
LOCK_MS = 400


def now_us():
    return time.monotonic_ns() // 1000


class History:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = []         # [client, called, returned|None, command, key, value, output|None]
        self.holds = []       # (from_us, until_us) of every lock acknowledged in time
        self.gset_acked, self.gset_unknown = set(), set()
        self.pn_acked, self.pn_unknown = 0, 0
        self.ids = {}         # key -> acknowledged INCR results
        self.counts = {"ok": 0, "unknown": 0, "refused": 0}

    def add(self, op):
        with self.lock:
            self.ops.append(op)


def resp(reply):
    """A reply of Conn.reply() back as RESP bytes, for the checker."""
    if isinstance(reply, RespError):
        return b"-" + str(reply).encode() + b"\r\n"
    if isinstance(reply, str):
        return b"+" + reply.encode() + b"\r\n"
    if isinstance(reply, int):
        return b":%d\r\n" % reply
    if reply is None:
        return b"$-1\r\n"
    if isinstance(reply, bytes):
        return b"$%d\r\n%s\r\n" % (len(reply), reply)
    return b"*%d\r\n" % len(reply) + b"".join(resp(r) for r in reply)


class Client(threading.Thread):
    """One client of one replica: a command at a time, on a connection it reopens after an
    error (its replica may be down)."""

    def __init__(self, cid, replica, history, stop, seed):
        super().__init__(daemon=True)
        self.cid, self.replica, self.history, self.stop = cid, replica, history, stop
        self.random = random.Random(seed)
        self.conn = None
        self.unique = 0

    def call(self, *commands):
        """The replies of `commands` sent together, or None when the connection failed."""
        try:
            if self.conn is None:
                self.conn = Conn(self.replica.port, timeout=TIMEOUT_MS / 1000 + 3)
            self.conn.send(*commands)
            return [self.conn.reply() for _ in commands]
        except (OSError, ValueError, ConnectionError):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None

    def run(self):
        h = self.history
        while not self.stop.is_set():
            pick = self.random.random()
            called = now_us()
            if pick < 0.1:
                self.lock_once(called)
            elif pick < 0.25:
                self.free_write()
            else:
                self.linearizable(pick, called)
            # Down: try again in a moment. Up: a pause, which keeps the history small
            # enough for the checker (a few thousand operations per key).
            time.sleep(0.05 if self.conn is None else self.random.uniform(0.001, 0.006))

    def linearizable(self, pick, called):
        h = self.history
        key_index = self.random.randrange(3)
        if pick < 0.45:
            self.unique += 1  # unique values: an unknown SET nobody read can be left out
            command, key, value = "set", f"reg:{key_index}", f"c{self.cid}v{self.unique}"
            commands = [("SET", key, value)]
        elif pick < 0.65:
            command, key, value = "get", f"reg:{key_index}", ""
            commands = [("GET", key)]
        elif pick < 0.85:
            command, key, value = "incr", f"id:{key_index}", ""
            commands = [("INCR", key)]
        else:  # atomic: two INCRs of one key in a transaction, others INCR it meanwhile
            command, key, value = "incr2", f"id:{key_index}", ""
            commands = [("MULTI",), ("INCR", key), ("INCR", key), ("EXEC",)]
        replies = self.call(*commands)
        reply = None if replies is None else replies[-1]
        failed = replies is None or isinstance(reply, RespError) or any(
            isinstance(r, RespError) for r in replies)
        returned = None if failed else now_us()
        if failed and command == "get":
            with h.lock:
                h.counts["refused"] += 1
            return  # a failed read observed nothing
        with h.lock:
            h.counts["unknown" if failed else "ok"] += 1
            h.ops.append([self.cid, called, returned, command, key, value,
                          None if failed else resp(reply)])
            if not failed and command == "incr":
                h.ids.setdefault(key, []).append(reply)
            if not failed and command == "incr2":
                h.ids.setdefault(key, []).extend(reply)

    def lock_once(self, called):
        replies = self.call(("SET", "lock:x", f"c{self.cid}", "NX", "PX", str(LOCK_MS)))
        if replies is None or replies[0] != "OK":
            return
        got, until = now_us(), called + LOCK_MS * 1000
        if got < until:
            with self.history.lock:
                self.history.holds.append((got, until))

    def free_write(self):
        h = self.history
        if self.random.random() < 0.5:
            self.unique += 1
            element = f"c{self.cid}e{self.unique}"
            replies = self.call(("SADD", "gset", element))
            with h.lock:
                (h.gset_acked if replies == [1] else h.gset_unknown).add(element)
        else:
            d = self.random.randrange(1, 6)
            replies = self.call(("INCRBY", "pn", str(d)))
            with h.lock:
                if replies is not None and isinstance(replies[0], int):
                    h.pn_acked += d
                else:
                    h.pn_unknown += d


class Nemesis(threading.Thread):
    """One replica at a time: killed with SIGKILL and restarted, or paused and resumed."""

    def __init__(self, replicas, seed, seconds, log):
        super().__init__(daemon=True)
        self.replicas, self.random, self.seconds, self.log = replicas, random.Random(seed), seconds, log

    def leader(self):
        for r in self.replicas:
            if info_field(r.port, "log_role", "coordination") == "leader":
                return r
        return None

    def run(self):
        end = time.time() + self.seconds
        first = True
        while time.time() < end:
            time.sleep(self.random.uniform(0.5, 1.5))
            # The first fault is the log's leader killed (the ids must survive it); then any.
            # The leader is looked for until one answers: under load (CTest runs two tests at
            # once) an election or a slow INFO can leave a moment with none.
            leader = None
            while first and leader is None and time.time() < end:
                leader = self.leader()
                if leader is None:
                    time.sleep(0.1)
            r = leader or self.random.choice(self.replicas)
            if first or self.random.random() < 0.5:
                first = False
                self.log.append(f"kill -9 {r.port}" + (" (the leader)" if leader else ""))
                r.kill9()
                time.sleep(self.random.uniform(0.3, 1.5))
                r.launch()
                if not r.wait_answering():
                    fail(f"replica on {r.port} did not come back after kill -9")
            else:
                self.log.append(f"pause {r.port}")
                r.proc.send_signal(signal.SIGSTOP)
                time.sleep(self.random.uniform(0.3, 2.0))
                r.proc.send_signal(signal.SIGCONT)


def check_history(checker, history, work):
    """Writes the history for the checker and runs it. A SET whose outcome is unknown and whose
    (unique) value no read returned is left out: had it taken effect, no read saw it, so the
    history with it is linearizable exactly when the history without it is (and the search
    is spared trying it at every point)."""
    read_values = {(op[4], op[6]) for op in history.ops if op[3] == "get" and op[6] is not None}
    kept = [op for op in history.ops
            if not (op[3] == "set" and op[2] is None and
                    (op[4], resp(op[5].encode())) not in read_values)]
    path = os.path.join(work, "history.tsv")
    with open(path, "w") as f:
        for cid, called, returned, command, key, value, output in kept:
            f.write("\t".join([str(cid), str(called), "-" if returned is None else str(returned),
                               command, key, value.encode().hex(),
                               "-" if output is None else output.hex()]) + "\n")
    out = subprocess.run([checker, path], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        fail(f"the linearizable history is not linearizable ({path}):\n{out.stdout[:3000]}"
             f"{out.stderr[:1000]}")
        return
    else:
        print(out.stdout.strip() + f" ({len(history.ops) - len(kept)} unknown SETs nobody "
              "read left out)")


def check_locks(history):
    holds = sorted(history.holds)
    if len(holds) < 3:
        fail(f"only {len(holds)} locks were taken: the lock check saw too little")
    for (a_from, a_until), (b_from, _) in zip(holds, holds[1:]):
        if b_from < a_until:
            fail(f"two lock holders: one from {a_from} until {a_until} us, one from {b_from} us")
    print(f"lock: {len(holds)} holds, never two at once")


def check_ids(history):
    for key, ids in history.ids.items():
        if len(ids) != len(set(ids)):
            fail(f"INCR {key} handed out an id twice")
    print("ids: " + ", ".join(f"{k} {len(v)} unique" for k, v in sorted(history.ids.items())))


def check_free_keys(replicas, history):
    def reads():
        return [(frozenset(cli(r.port, "SMEMBERS", "gset").split()), cli(r.port, "GET", "pn"))
                for r in replicas]
    wait_until(lambda: len(set(reads())) == 1, "every replica reads the same free keys")
    members, pn = reads()[0]
    missing = history.gset_acked - members
    extra = members - history.gset_acked - history.gset_unknown
    if missing:
        fail(f"acknowledged SADDs lost: {sorted(missing)[:10]}")
    if extra:
        fail(f"SADDs nobody made: {sorted(extra)[:10]}")
    total = int(pn or 0)
    if not history.pn_acked <= total <= history.pn_acked + history.pn_unknown:
        fail(f"pn counter {total} outside [{history.pn_acked}, "
             f"{history.pn_acked + history.pn_unknown}]")
    print(f"free keys: g-set {len(members)} members ({len(history.gset_acked)} acknowledged, "
          f"{len(history.gset_unknown)} unknown), pn-counter {total} "
          f"(acknowledged {history.pn_acked}, unknown {history.pn_unknown})")


def partition(replicas):
    """Two replicas paused: the third refuses linearizable commands after its timeout and
    serves free ones at once; resumed, it coordinates again."""
    alone, others = replicas[0], replicas[1:]
    for r in others:
        r.proc.send_signal(signal.SIGSTOP)
    try:
        start = time.time()
        reply = cli(alone.port, "INCR", "id:partition")
        took = time.time() - start
        if not reply.startswith("NOQUORUM"):
            fail(f"INCR on a linearizable key, cut off from the majority, answered {reply!r}")
        if not TIMEOUT_MS / 1000 - 0.2 <= took <= TIMEOUT_MS / 1000 + 2:
            fail(f"the NOQUORUM came after {took:.2f} s, not about {TIMEOUT_MS} ms")
        start = time.time()
        if cli(alone.port, "INCR", "free:partition") != "1" or time.time() - start > 0.5:
            fail("a coordination-free INCR during the partition was not served at once")
        print(f"partition: linearizable INCR refused with NOQUORUM after {took:.2f} s; "
              "coordination-free INCR served")
    finally:
        for r in others:
            r.proc.send_signal(signal.SIGCONT)
    wait_until(lambda: cli(alone.port, "INCR", "id:partition").isdigit(),
               "linearizable INCR works again after the partition heals")


def redis_py(port):
    redis = redis_py_module()
    if redis is None:
        return
    r = redis.Redis(port=port, socket_timeout=10)
    pipe = r.pipeline()  # MULTI ... EXEC
    pipe.incr("id:py").incr("id:py").set("reg:py", "v")
    if pipe.execute() != [1, 2, True]:
        fail("redis-py's transaction on linearizable keys")
    pipe = r.pipeline()
    pipe.set("free:py", 1).incr("free:py")
    if pipe.execute() != [True, 2]:
        fail("redis-py's transaction on coordination-free keys")
    pipe = r.pipeline(transaction=False)  # a plain pipeline may mix classes
    pipe.incr("id:py").incr("free:py").get("reg:py")
    if pipe.execute() != [3, 3, b"v"]:
        fail("redis-py's pipeline across classes")
    try:
        r.pipeline().incr("id:py").incr("free:py").execute()
        fail("a transaction mixing classes ran")
    except redis.exceptions.ResponseError:
        pass
    if not r.set("lock:py", "a", nx=True, px=5000) or r.set("lock:py", "b", nx=True, px=5000):
        fail("redis-py SET NX PX as a lock")
    # Optimistic updates with WATCH from four threads: every increment lands once.
    def watched_increment(p):
        value = int(p.get("reg:w") or 0)  # after WATCH, before MULTI: read now
        p.multi()
        p.set("reg:w", value + 1)

    def bump(client):
        for _ in range(15):
            client.transaction(watched_increment, "reg:w")

    threads = [threading.Thread(target=bump, args=(redis.Redis(port=port, socket_timeout=10),))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if r.get("reg:w") != b"60":
        fail(f"four clients' 15 WATCHed increments each left reg:w at {r.get('reg:w')!r}")
    print("redis-py: transactions, pipelines, SET NX PX and 60 WATCHed increments work")


def redis_benchmark(port):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set,get,incr", "-n", "3000",
                          "-P", "16", "-c", "10", "-r", "100", "-q"],
                         capture_output=True, text=True, timeout=120)
    rates = [line for line in out.stdout.replace("\r", "\n").splitlines()
             if "requests per second" in line]
    if out.returncode != 0 or len(rates) != 3:
        fail(f"redis-benchmark on linearizable keys: {out.stdout[-500:]} {out.stderr[-500:]}")
    elif cli(port, "CALM.CLASS", "key:__rand_int__") != "linearizable":
        fail("redis-benchmark's keys are not linearizable here")
    else:
        print("redis-benchmark on linearizable keys: " + "; ".join(r.strip() for r in rates))


def replies_stay_in_order(binary, work):
    """A replica alone (its two peers never start) refuses linearizable commands; a refusal
    that comes at once (EXEC after a failed WATCH) keeps its place among the replies of a
    pipeline, and none is lost."""
    from kvs_process import Replica, peer_list
    from ports import free_ports
    port, p1, p2, p3 = free_ports(4)
    alone = Replica(binary, os.path.join(work, "alone"), port, p1, rid=1,
                    peers=peer_list({1: p1, 2: p2, 3: p3}),
                    extra=["--linearizable", "lin:*", "--coordination-timeout-ms", "200"])
    alone.start()
    try:
        c = Conn(port)
        reply = c.call("WATCH", "lin:k")
        if not isinstance(reply, RespError) or not str(reply).startswith("NOQUORUM"):
            fail(f"WATCH without a majority answered {reply!r}")
        echoes = [("ECHO", f"e{i}") for i in range(200)]
        c.send(("MULTI",), ("SET", "lin:k", "v"), ("EXEC",), *echoes)
        try:
            replies = [c.reply() for _ in range(3 + len(echoes))]
        except OSError as e:  # lost replies: the client waits for them in vain
            replies = [f"no reply: {e}"]
        expected = ["OK", "QUEUED", None] + [f"e{i}".encode() for i in range(200)]
        if replies != expected:
            fail(f"a pipeline around an at-once refusal answered {replies[:6]!r}...")
        else:
            print("replies in order: EXEC refused at once among 200 pipelined ECHOs")
        c.close()
    finally:
        alone.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("checker")
    ap.add_argument("work")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"seed {seed}")
    shutil.rmtree(args.work, ignore_errors=True)  # a directory of an older build's format
    extra = ["--linearizable", LINEARIZABLE, "--coordination-timeout-ms", str(TIMEOUT_MS)]
    replies_stay_in_order(args.binary, args.work)
    replicas = cluster(args.binary, args.work, 3, extra={i: extra for i in (1, 2, 3)})
    try:
        history, stop, schedule = History(), threading.Event(), []
        clients = [Client(i, replicas[i % 3], history, stop, seed * 10 + i) for i in range(6)]
        for c in clients:
            c.start()
        nemesis = Nemesis(replicas, seed, args.seconds, schedule)
        nemesis.start()
        nemesis.join(args.seconds + 30)
        for r in replicas:  # healed: everything up and running
            if r.alive():
                r.proc.send_signal(signal.SIGCONT)
            else:
                r.start()
        time.sleep(1)
        stop.set()
        for c in clients:
            c.join(30)
        print(f"faults: {', '.join(schedule)}")
        if not any("(the leader)" in f for f in schedule):
            fail("the nemesis did not kill the log's leader")
        print(f"operations: {history.counts['ok']} acknowledged, {history.counts['unknown']} "
              f"unknown, {history.counts['refused']} reads refused")
        if history.counts["ok"] < 200:
            fail(f"only {history.counts['ok']} linearizable operations were acknowledged")
        check_history(args.checker, history, args.work)
        check_locks(history)
        check_ids(history)
        check_free_keys(replicas, history)
        partition(replicas)
        redis_py(replicas[1].port)
        redis_benchmark(replicas[2].port)
    finally:
        for r in replicas:
            if r.alive():
                r.proc.send_signal(signal.SIGCONT)
            r.stop()
    if FAILURES:
        print("FAILED (seed %d):\n  " % seed + "\n  ".join(FAILURES))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
