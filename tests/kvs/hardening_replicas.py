#!/usr/bin/env python3
"""calm-kvs replicas against faulty peers, skewed clocks and a lost disk (issue 12), through
redis-cli. Each scenario starts its own replicas on free loopback ports:

  disk_loss     three replicas write, converge; one is killed with SIGKILL, its data directory
                deleted, and it restarts under the same --id and takes writes while its peers
                are paused (SIGSTOP), before it hears from them: every replica must converge
                to every acknowledged write and the older data (finding 6);
  clock_ahead   a replica whose clock runs 5 s ahead writes a key; the other merges it, then
                writes the key itself: its write must win at once (finding 8);
  far_future    a replica whose clock runs 10 minutes ahead writes a key: its peer refuses
                the value (more than 5 minutes ahead), counts it, and keeps serving.

Clocks are skewed with calm-kvs's test-only --clock-offset-ms. Bounded: each wait gives up
after 20 s.

usage: hardening_replicas.py CALM_KVS WORK_DIR [SCENARIO...]
"""
import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import FAILURES, cli, cluster, expect, info_field, wait_until  # noqa: E402


def disk_loss(binary, work):
    rs = cluster(binary, os.path.join(work, "disk_loss"), 3)
    try:
        for i, r in enumerate(rs):
            expect("SADD", cli(r.port, "SADD", "s", f"m{i + 1}"), "1")
            cli(r.port, "INCRBY", "c", str([3, 3, 4][i]))
            expect("SET", cli(r.port, "SET", f"k{i + 1}", f"v{i + 1}"), "OK")
        before = ["m1\nm2\nm3", "10", "v1", "v2", "v3"]

        def reads(r):
            return [cli(r.port, "SMEMBERS", "s"), cli(r.port, "GET", "c"),
                    cli(r.port, "GET", "k1"), cli(r.port, "GET", "k2"), cli(r.port, "GET", "k3")]

        wait_until(lambda: all(reads(r) == before for r in rs), "the first writes converge")
        lost = rs[2]
        writer_before = info_field(lost.port, "writer_id", "replication")
        # The peers are paused while the replica restarts and takes writes, so that it takes
        # them before it hears from anyone (as it would if they were slow or far away).
        for r in rs[:2]:
            r.proc.send_signal(signal.SIGSTOP)
        try:
            lost.kill9()
            shutil.rmtree(lost.data)
            lost.start()
            expect("SADD after the disk loss", cli(lost.port, "SADD", "s", "m4"), "1")
            expect("INCRBY after the disk loss", cli(lost.port, "INCRBY", "c", "3"), "3")
            expect("a fresh writer id after the disk loss",
                   info_field(lost.port, "writer_id", "replication") != writer_before, True)
        finally:
            for r in rs[:2]:
                r.proc.send_signal(signal.SIGCONT)
        after = ["m1\nm2\nm3\nm4", "13", "v1", "v2", "v3"]
        if not wait_until(lambda: all(reads(r) == after for r in rs),
                          "every replica holds every acknowledged write after the disk loss"):
            for r in rs:
                FAILURES.append(f"  replica on {r.port} reads {reads(r)!r}")
    finally:
        for r in rs:
            r.stop()


def clock_ahead(binary, work):
    rs = cluster(binary, os.path.join(work, "clock_ahead"), 2,
                 {2: ("--clock-offset-ms", "5000")})
    try:
        expect("SET at the replica ahead", cli(rs[1].port, "SET", "k", "from-ahead"), "OK")
        wait_until(lambda: cli(rs[0].port, "GET", "k") == "from-ahead", "the write arrives")
        expect("SET after merging", cli(rs[0].port, "SET", "k", "mine"), "OK")
        expect("GET right after the SET", cli(rs[0].port, "GET", "k"), "mine")
        wait_until(lambda: cli(rs[1].port, "GET", "k") == "mine", "the later write wins there")
        expect("DEL", cli(rs[0].port, "DEL", "k"), "1")
        expect("GET right after the DEL", cli(rs[0].port, "GET", "k"), "")
    finally:
        for r in rs:
            r.stop()


def far_future(binary, work):
    rs = cluster(binary, os.path.join(work, "far_future"), 2,
                 {2: ("--clock-offset-ms", "600000")})
    try:
        expect("SET at the replica 10 minutes ahead", cli(rs[1].port, "SET", "far", "x"), "OK")
        wait_until(lambda: int(info_field(rs[0].port, "peer_values_refused", "replication")
                               or 0) > 0,
                   "the value 10 minutes ahead is refused and counted")
        expect("the refused value is not merged", cli(rs[0].port, "GET", "far"), "")
        # The replica keeps serving, and its own writes still reach the peer.
        expect("SET at the other replica", cli(rs[0].port, "SET", "near", "y"), "OK")
        wait_until(lambda: cli(rs[1].port, "GET", "near") == "y", "a write reaches the peer")
    finally:
        for r in rs:
            r.stop()


SCENARIOS = {"disk_loss": disk_loss, "clock_ahead": clock_ahead, "far_future": far_future}


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, work = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or list(SCENARIOS)
    os.makedirs(work, exist_ok=True)
    for name in names:
        before = len(FAILURES)
        SCENARIOS[name](binary, work)
        print(f"{name}: {'ok' if len(FAILURES) == before else 'FAILED'}", flush=True)
    for f in FAILURES:
        print("FAIL:", f)
    if FAILURES:
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
