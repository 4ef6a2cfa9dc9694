#!/usr/bin/env python3
"""calm-kvs's Pub/Sub against redis-server, and across replicas:

  bytes        the same requests on one connection to calm-kvs and to redis-server 7.0,
               replies and pushes compared byte for byte: (P)(UN)SUBSCRIBE confirmations, the
               subscribed state's refusals and PING, PUBSUB's subcommands and errors, a
               message published from a second connection.
  replicas     three replicas: a PUBLISH at one reaches the subscribers (channel and pattern)
               of every replica, redis-py's PubSub included.
  slow         a subscriber that never reads is closed once it owes 32 MiB of messages (Redis's
               client-output-buffer-limit for pubsub), INFO counts it, the replica keeps
               serving and its memory comes back.

Bounded: every wait gives up (20 s for a start, 10 s for a reply); no timing is asserted.

usage: pubsub.py CALM_KVS WORK_DIR
"""
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import (FAILURES, Conn, Replica, cluster, cmd, exchange, fail,  # noqa: E402
                         info_field, redis_answers, redis_py_module, start_redis, wait_until)
from ports import free_ports  # noqa: E402

# (name, requests on one connection; then, optionally, a message another connection publishes)
SCRIPTS = [
    ("unsubscribe with nothing held", [cmd("UNSUBSCRIBE"), cmd("PUNSUBSCRIBE")], None),
    ("unsubscribe channels not held", [cmd("UNSUBSCRIBE", "a", "b")], None),
    ("subscribe, the subscribed state, PING",
     [cmd("SUBSCRIBE", "a", "b", "a"), cmd("GET", "k"), cmd("SET", "k", "v"), cmd("MULTI"),
      cmd("PING"), cmd("PING", "x"), cmd("PSUBSCRIBE", "p*"), cmd("UNSUBSCRIBE", "b"),
      cmd("UNSUBSCRIBE", "a"), cmd("PUNSUBSCRIBE"), cmd("PING")], None),
    ("a message and a pattern message", [cmd("SUBSCRIBE", "news"), cmd("PSUBSCRIBE", "n*")],
     ("news", "hello")),
    ("a binary message", [cmd("SUBSCRIBE", "bin\r\nary")], ("bin\r\nary", "\x00\xff\r\n")),
    ("wrong arity", [cmd("SUBSCRIBE"), cmd("PSUBSCRIBE"), cmd("PUBLISH", "a"), cmd("PUBSUB")],
     None),
    ("PUBSUB", [cmd("PUBSUB", "CHANNELS", "zz*"), cmd("PUBSUB", "CHANNELS", "x", "y"),
                cmd("PUBSUB", "NUMSUB"), cmd("PUBSUB", "NUMSUB", "zz1", "zz2"),
                cmd("PUBSUB", "NUMPAT", "x"), cmd("PUBSUB", "FOO"),
                cmd("PUBLISH", "nobody-listens", "m")], None),
    ("SUBSCRIBE inside MULTI", [cmd("MULTI"), cmd("SUBSCRIBE", "t"), cmd("EXEC")], None),
    ("QUIT while subscribed", [cmd("SUBSCRIBE", "q"), cmd("QUIT")], None),
    ("RESET while subscribed", [cmd("CLIENT", "SETNAME", "x"), cmd("SUBSCRIBE", "r"),
                                cmd("RESET"), cmd("CLIENT", "GETNAME"), cmd("PING")],
     ("r", "not delivered after RESET")),
    ("RESET inside MULTI", [cmd("MULTI"), cmd("SET", "k", "v"), cmd("RESET"), cmd("EXEC"),
                            cmd("RESET", "x")], None),
]


def session(port, requests, publish, expect_bytes=None):
    """Sends the requests on one connection; with `publish`, a second connection publishes
    (channel, message) once the first has its confirmations. Returns what the first read:
    until it has `expect_bytes` and then nothing for 50 ms, or, without, nothing for 0.4 s."""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        c.sendall(b"".join(requests))
        if publish:
            time.sleep(0.2)
            exchange(port, cmd("PUBLISH", *publish), expect_bytes=1)
        out = bytearray()
        deadline = time.time() + 10
        while time.time() < deadline:
            enough = expect_bytes is not None and len(out) >= expect_bytes
            c.settimeout(0.05 if enough else 0.4)
            try:
                chunk = c.recv(1 << 16)
            except socket.timeout:
                if enough or expect_bytes is None:
                    break
                continue
            if not chunk:
                break
            out += chunk
        return bytes(out)
    finally:
        c.close()


def check_bytes(calm_port, redis_port):
    for name, requests, publish in SCRIPTS:
        theirs = session(redis_port, requests, publish)
        mine = session(calm_port, requests, publish, expect_bytes=len(theirs))
        if mine != theirs:
            fail(f"{name}: calm-kvs {mine[:400]!r}, redis-server {theirs[:400]!r}")


def check_replicas(binary, work):
    replicas = cluster(binary, work, 3)
    try:
        ports = [r.port for r in replicas]
        subs = []
        for p in ports:
            s = Conn(p)
            s.send(["SUBSCRIBE", "events"], ["PSUBSCRIBE", "ev*"])
            if s.reply() != [b"subscribe", b"events", 1] or s.reply()[0] != b"psubscribe":
                fail(f"replica on {p}: SUBSCRIBE's confirmations")
            subs.append(s)
        redis = redis_py_module()
        listener = None
        if redis is not None:
            listener = redis.Redis(port=ports[2], socket_timeout=10).pubsub()
            listener.subscribe("py")
            listener.get_message(timeout=5)  # the confirmation
        # Peers connect as the cluster starts: publish until the first message arrives.
        wait_until(lambda: Conn(ports[0]).call("PUBLISH", "warmup", "x") is not None
                   and info_field(ports[1], "pubsub_peer_messages", "stats") not in (None, "0")
                   and info_field(ports[2], "pubsub_peer_messages", "stats") not in (None, "0"),
                   "peers take a PUBLISH")
        received = Conn(ports[0]).call("PUBLISH", "events", "deploy")
        if received != 2:  # replica 0's own subscriber: its channel and its pattern
            fail(f"PUBLISH at replica 0 counted {received!r} local receivers, not 2")
        for i, s in enumerate(subs):
            first, second = s.reply(), s.reply()
            if first != [b"message", b"events", b"deploy"] or \
                    second != [b"pmessage", b"ev*", b"events", b"deploy"]:
                fail(f"subscriber at replica {i} got {first!r}, {second!r}")
        if listener is not None:
            Conn(ports[1]).call("PUBLISH", "py", "from-1")
            got = listener.get_message(timeout=10)
            if not got or got.get("data") != b"from-1":
                fail(f"redis-py's PubSub at replica 2: {got!r}")
            listener.close()
        for s in subs:
            s.close()
    finally:
        for r in replicas:
            r.stop()


def check_slow(binary, work):
    r = Replica(binary, os.path.join(work, "slow"), log=os.path.join(work, "slow.log"))
    if not r.start():
        return
    try:
        slow = socket.create_connection(("127.0.0.1", r.port), timeout=10)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(cmd("SUBSCRIBE", "firehose"))
        time.sleep(0.2)
        publisher = Conn(r.port)
        listed = publisher.call("CLIENT", "LIST", "TYPE", "pubsub").decode().splitlines()
        if len(listed) != 1 or " flags=P " not in listed[0] or " sub=1 psub=0 " not in listed[0]:
            fail(f"CLIENT LIST TYPE pubsub: {listed!r}")
        if publisher.call("CLIENT", "LIST", "TYPE", "normal").decode().count("\n") != 1:
            fail("CLIENT LIST TYPE normal lists the subscriber")
        message = "m" * (512 * 1024)
        for _ in range(160):  # 80 MiB: well past the 32 MiB bound, whatever the kernel holds
            publisher.call("PUBLISH", "firehose", message)
        wait_until(lambda: info_field(r.port, "client_output_buffer_limit_disconnections",
                                      "stats") == "1",
                   "the subscriber that does not read is closed")
        if publisher.call("PING") != "PONG":
            fail("the replica stopped answering after closing a slow subscriber")
        if info_field(r.port, "pubsub_channels", "stats") != "0":
            fail("the closed subscriber's channel is still listed")
        slow.close()
        other = socket.create_connection(("127.0.0.1", r.port), timeout=10)
        other.sendall(cmd("PSUBSCRIBE", "x*"))
        time.sleep(0.2)
        if publisher.call("CLIENT", "KILL", "TYPE", "pubsub") != 1:
            fail("CLIENT KILL TYPE pubsub did not kill the one subscriber")
        other.close()
        publisher.close()
    finally:
        r.stop()


def main():
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    redis_port = free_ports(1)[0]
    redis = start_redis(redis_port, work)
    calm = Replica(binary, os.path.join(work, "calm"), log=os.path.join(work, "calm.log"))
    try:
        wait_until(lambda: redis_answers(redis_port), "redis-server answers")
        if calm.start():
            check_bytes(calm.port, redis_port)
    finally:
        calm.stop()
        redis.terminate()
        redis.wait(timeout=10)
    check_replicas(binary, os.path.join(work, "cluster"))
    check_slow(binary, work)
    if FAILURES:
        for f in FAILURES:
            print("pubsub: FAILED:", f)
        return 1
    print(f"pubsub: {len(SCRIPTS)} scripts byte for byte as redis-server; a PUBLISH reaches "
          "every replica's subscribers; a slow subscriber is closed: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
