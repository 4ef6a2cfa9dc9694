#!/usr/bin/env python3
"""Three calm-node processes on loopback, with a cluster secret: one is killed with SIGKILL
under write load and restarted on its data directory. Passes when, after the writes stop,
every node's state is the same and holds every element any node acknowledged (adds only, so
nothing acknowledged may be missing). Bounded: at most `--writes` writes and 60 s of waiting in all.

usage: kill9.py CALM_NODE WORK_DIR [--writes N]
"""
import argparse
import os
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
    args = parser.parse_args()

    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    ids = [1, 2, 3]
    ports = dict(zip(ids, free_ports(3)))
    data = {i: os.path.join(args.work_dir, f"node{i}") for i in ids}
    # The nodes authenticate each other (and every frame) with a cluster secret.
    secret_file = os.path.join(args.work_dir, "cluster-secret")
    with open(secret_file, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    nodes = {i: Node(args.binary, i, ports, data[i], secret_file) for i in ids}
    acked_before_kill = []
    killed_at = args.writes // 3
    restarted_at = args.writes // 2
    sent = {i: 0 for i in ids}  # writes sent to each node's current life
    try:
        for w in range(args.writes):
            target = ids[w % 3]
            if w == killed_at:
                # Kill node 2 once it has acknowledged some of its writes (and while more are
                # still queued): under the sanitizers it starts and writes far slower.
                deadline = time.time() + 30
                while len(nodes[2].acked()) < 50 and time.time() < deadline:
                    time.sleep(0.01)
                acked_before_kill = nodes[2].acked()
                nodes[2].kill9()
            if w == restarted_at:
                nodes[2] = Node(args.binary, 2, ports, data[2], secret_file)
                sent[2] = 0
            if target == 2 and killed_at <= w < restarted_at:
                continue  # node 2 is down: nothing sent to it, nothing acknowledged
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
                print(f"kill9: FAILED: node {i} acknowledged {len(nodes[i].acked())} of "
                      f"{sent[i]} writes within 60 s")
                return 1
        # Every acknowledged element, from every life of every node.
        acked = set(acked_before_kill)
        for node in nodes.values():
            acked |= set(node.acked())
        if not acked_before_kill:
            print("kill9: node 2 acknowledged nothing before it was killed: the test proves little")
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
            print("kill9: FAILED: no convergence within 60 s")
            return 1
        print(f"kill9: 3 nodes, {len(acked)} writes acknowledged "
              f"({len(acked_before_kill)} by node 2 before SIGKILL), node 2 killed at write "
              f"{killed_at} and restarted at {restarted_at}: all converged, nothing lost")
        return 0
    finally:
        for node in nodes.values():
            if node.proc.poll() is None:
                node.quit()


if __name__ == "__main__":
    sys.exit(main())
