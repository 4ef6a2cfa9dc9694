#!/usr/bin/env python3
"""Pipelined RESP load for the calm-kvs benchmark scripts (bench/kvs/lib.sh and its users).

Speaks to redis-server and calm-kvs alike, over one connection, with up to --batch commands in
flight; every reply is read and checked (an error reply stops the run with exit status 1).

  fill-strings --port P --count N --bytes B    SET key:%09d to a B-byte value, N distinct keys
  fill-set --port P --key K --count N          K gets members 0..N-1 (--per-command at a time)
  sadd-cost --port P --key K [--fresh S]       time single-member SADDs of new members into K
                                               (or fresh sets of S); prints microseconds per SADD
  ping-wait --port P                           prints "polling", waits until PING answers, then
                                               prints the clock (ns since the epoch)
"""

import argparse
import socket
import sys
import time


def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def pipeline(self, payload, count):
        """Sends count commands at once and reads their count replies, integer or status ones
        (the only kinds the commands used here answer with)."""
        self.sock.sendall(payload)
        seen = 0
        while seen < count:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                sys.exit("connection closed after %d of %d replies" % (seen, count))
            if b"-" in chunk and (chunk.startswith(b"-") or b"\n-" in chunk):
                sys.exit("error reply: %r" % chunk[:200])
            self.buf += chunk
            seen += self.buf.count(b"\r\n")
            self.buf = self.buf[self.buf.rfind(b"\r\n") + 2:]


def fill_strings(a):
    c = Connection(a.port)
    value = b"v" * a.bytes
    for start in range(0, a.count, a.batch):
        n = min(a.batch, a.count - start)
        c.pipeline(b"".join(command(b"SET", b"key:%09d" % i, value)
                            for i in range(start, start + n)), n)


def fill_set(c, key, first, count, per_command, batch):
    commands = []
    for start in range(first, first + count, per_command):
        stop = min(start + per_command, first + count)
        commands.append(command(b"SADD", key, *(b"m:%09d" % i for i in range(start, stop))))
    for i in range(0, len(commands), batch):
        part = commands[i:i + batch]
        c.pipeline(b"".join(part), len(part))


def cmd_fill_set(a):
    fill_set(Connection(a.port), a.key.encode(), 0, a.count, a.per_command, a.batch)


def sadd_cost(a):
    """--rounds rounds of --batch single-member SADDs of members the set does not have: with
    --fresh SIZE, each round into a new set filled (untimed) to SIZE members, so every round
    sees SIZE, not SIZE grown by the rounds before; else all into --key, filled beforehand."""
    c = Connection(a.port)
    spent = 0.0
    key = a.key.encode()
    for r in range(a.rounds):
        if a.fresh:
            key = b"%s:%d" % (a.key.encode(), r)
            fill_set(c, key, 0, a.fresh, a.per_command, 64)
        payload = b"".join(command(b"SADD", key, b"new:%04d:%06d" % (r, i))
                           for i in range(a.batch))
        start = time.perf_counter()
        c.pipeline(payload, a.batch)
        spent += time.perf_counter() - start
    print("%.3f" % (spent * 1e6 / (a.rounds * a.batch)))


def ping_wait(a):
    print("polling", flush=True)
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", a.port), timeout=5) as s:
                s.sendall(command(b"PING"))
                if s.recv(64).startswith(b"+PONG"):
                    print(time.time_ns())
                    return
        except OSError:
            pass
        time.sleep(0.005)
    sys.exit("port %d did not answer PING within %s s" % (a.port, a.timeout))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("fill-strings")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--bytes", type=int, default=64)
    s.add_argument("--batch", type=int, default=1000)
    s.set_defaults(run=fill_strings)
    s = sub.add_parser("fill-set")
    s.add_argument("--key", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--per-command", type=int, default=1000)
    s.add_argument("--batch", type=int, default=64)
    s.set_defaults(run=cmd_fill_set)
    s = sub.add_parser("sadd-cost")
    s.add_argument("--key", required=True)
    s.add_argument("--rounds", type=int, default=10)
    s.add_argument("--batch", type=int, default=1000)
    s.add_argument("--per-command", type=int, default=1000)
    s.add_argument("--fresh", type=int, default=0, metavar="SIZE")
    s.set_defaults(run=sadd_cost)
    s = sub.add_parser("ping-wait")
    s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(run=ping_wait)
    for s in sub.choices.values():
        s.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    a.run(a)


if __name__ == "__main__":
    main()
