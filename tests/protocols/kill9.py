#!/usr/bin/env python3
"""Three calm-node processes on loopback, with a cluster secret: under a steady write load,
`--kills` times a node (each in turn) is killed with SIGKILL at a random moment and restarted
on its data directory a random while later. Passes when, after the writes stop, every node's
state is the same and holds every element any life of any node acknowledged (adds only, so
nothing acknowledged may be missing). calm-node acknowledges a write once its turn's batch is
written and fsynced (the protocol host), so a kill may lose only unacknowledged writes. The
moments come from `--seed` (random when not given, and printed, so a failure replays).
Bounded: at most `--writes` writes, 30 s of waiting per kill and 60 s at the end.

usage: kill9.py CALM_NODE WORK_DIR [--writes N] [--kills K] [--seed S]
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
from ports import free_ports  # noqa: E402


class Node:
    """One calm-node process, with a thread that collects its output lines."""

    def __init__(self, binary, node_id, ports, data_dir, secret_file):
        self.node_id = node_id
        peers = [f"--peer={i}=127.0.0.1:{p}" for i, p in ports.items() if i != node_id]
        args = [binary, "--id", str(node_id), "--listen", f"127.0.0.1:{ports[node_id]}",
                "--data", data_dir, "--gossip-ms", "20", "--cluster-secret-file", secret_file]
        for peer in peers:
            flag, value = peer.split("=", 1)
            args += [flag, value]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def send(self, line):
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, ValueError):
            return False

    def acked(self):
        with self.cond:
            return [l.split(" ", 2)[2] for l in self.lines if l.startswith("ack add ")]

    def dump(self, timeout=5.0):
        with self.cond:
            start = len(self.lines)
        if not self.send("dump"):
            return None
        deadline = time.time() + timeout
        with self.cond:
            while True:
                tail = self.lines[start:]
                if "end" in tail:
                    block = tail[:tail.index("end")]
                    return {l.split(" ")[0]: set(l.split(" ")[1:]) for l in block}
                if not self.cond.wait(timeout=max(0.0, deadline - time.time())):
                    return None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def quit(self):
        self.send("quit")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("work_dir")
    parser.add_argument("--writes", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.kills < 1 or args.writes < 100 * args.kills:
        print("kill9: needs at least one kill and 100 writes per kill")
        return 2
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)

    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    ids = [1, 2, 3]
    ports = dict(zip(ids, free_ports(3)))
    data = {i: os.path.join(args.work_dir, f"node{i}") for i in ids}
    # The nodes authenticate each other (and every frame) with a cluster secret.
    secret_file = os.path.join(args.work_dir, "cluster-secret")
    with open(secret_file, "w") as f:
        f.write(os.urandom(32).hex() + "\n")

    # Kill k hits node ids[k % 3], somewhere in the first half of the k-th slice of the writes,
    # and restarts it before the slice ends.
    segment = args.writes // args.kills
    schedule = {}
    for k in range(args.kills):
        start = k * segment
        kill_at = start + rng.randrange(segment // 10, segment // 2)
        restart_at = kill_at + rng.randrange(segment // 10, segment // 3)
        schedule[kill_at] = ("kill", ids[k % 3])
        schedule[restart_at] = ("restart", ids[k % 3])

    nodes = {i: Node(args.binary, i, ports, data[i], secret_file) for i in ids}
    down = set()
    acked_by_killed_lives = set()
    acked_at_kills = []
    sent = {i: 0 for i in ids}  # writes sent to each node's current life
    try:
        for w in range(args.writes):
            event = schedule.get(w)
            if event and event[0] == "kill":
                victim = event[1]
                # Once it has acknowledged some writes of this life (and while more are still
                # queued): under the sanitizers a node starts and writes far slower.
                deadline = time.time() + 30
                while len(nodes[victim].acked()) < 20 and time.time() < deadline:
                    time.sleep(0.01)
                nodes[victim].kill9()
                acked = nodes[victim].acked()
                acked_at_kills.append(len(acked))
                acked_by_killed_lives |= set(acked)
                down.add(victim)
            elif event and event[0] == "restart":
                victim = event[1]
                nodes[victim] = Node(args.binary, victim, ports, data[victim], secret_file)
                sent[victim] = 0
                down.discard(victim)
            target = ids[w % 3]
            if target in down:
                continue  # nothing sent to a node that is down, nothing acknowledged
            nodes[target].send(f"add k{w % 7} e{w}")
            sent[target] += 1
            if w % 200 == 0:
                time.sleep(0.01)  # a steady load rather than one burst

        # Every write to a live node is acknowledged once it is durable there.
        deadline = time.time() + 60
        while time.time() < deadline and any(len(nodes[i].acked()) < sent[i] for i in ids):
            time.sleep(0.05)
        for i in ids:
            if len(nodes[i].acked()) < sent[i]:
                print(f"kill9: FAILED (seed {seed}): node {i} acknowledged "
                      f"{len(nodes[i].acked())} of {sent[i]} writes within 60 s")
                return 1
        # Every acknowledged element, from every life of every node.
        acked = set(acked_by_killed_lives)
        for node in nodes.values():
            acked |= set(node.acked())
        if min(acked_at_kills) == 0:
            print(f"kill9: a node acknowledged nothing before it was killed (seed {seed}): "
                  "the test proves little")
            return 1

        deadline = time.time() + 60
        converged = False
        dumps = {}
        while time.time() < deadline:
            dumps = {i: nodes[i].dump() for i in ids}
            if all(d is not None for d in dumps.values()):
                same = dumps[1] == dumps[2] == dumps[3]
                elements = {f"{k} {e}" for k, es in dumps[1].items() for e in es}
                if same and acked <= elements:
                    converged = True
                    break
            time.sleep(0.2)
        if not converged:
            for i, d in dumps.items():
                have = {f"{k} {e}" for k, es in (d or {}).items() for e in es}
                print(f"kill9: node {i} misses {len(acked - have)} acknowledged elements")
            print(f"kill9: FAILED (seed {seed}): no convergence within 60 s")
            return 1
        print(f"kill9: seed {seed}, 3 nodes, {len(acked)} writes acknowledged, {args.kills} "
              f"kills (acknowledged by the killed lives: {acked_at_kills}): all converged, "
              "nothing lost")
        return 0
    finally:
        for node in nodes.values():
            if node.proc.poll() is None:
                node.quit()


if __name__ == "__main__":
    sys.exit(main())
