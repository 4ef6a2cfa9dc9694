#!/usr/bin/env python3
"""calm-kvs end to end, through redis-cli: every command family against one replica and
against three, a transaction on coordination-free keys, writes at three replicas converging, a TTL
replicated and its key deleted by the active expiry sweep, SIGKILL right after acknowledged writes
(one at a time, and pipelined on several connections at once), and bad input that must not
hurt the server. Bounded: each wait gives up after 20 s.

usage: e2e.py CALM_KVS WORK_DIR
"""
import os
import shutil
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import (FAILURES, Conn, Replica, cli, cluster, expect_reply,  # noqa: E402
                         wait_until)


def families(port):
    expect_reply(port, ["SET", "greeting", "hello"], "OK")
    expect_reply(port, ["GET", "greeting"], "hello")
    expect_reply(port, ["APPEND", "greeting", " world"], "11")
    expect_reply(port, ["GETRANGE", "greeting", "0", "4"], "hello")
    expect_reply(port, ["STRLEN", "greeting"], "11")
    expect_reply(port, ["MSET", "a", "1", "b", "2"], "OK")
    expect_reply(port, ["MGET", "a", "b", "nope", "a"], "1\n2\n\n1")
    expect_reply(port, ["INCR", "a"], "2")
    expect_reply(port, ["INCRBY", "a", "10"], "12")
    expect_reply(port, ["DECRBY", "a", "2"], "10")
    expect_reply(port, ["SADD", "s", "x", "y", "z"], "3")
    expect_reply(port, ["SREM", "s", "y"], "1")
    expect_reply(port, ["SMEMBERS", "s"], "x\nz")
    expect_reply(port, ["SISMEMBER", "s", "x"], "1")
    expect_reply(port, ["SCARD", "s"], "2")
    expect_reply(port, ["SADD", "t", "z", "w"], "2")
    expect_reply(port, ["SINTER", "s", "t"], "z")
    expect_reply(port, ["SUNIONSTORE", "u", "s", "t"], "3")
    expect_reply(port, ["HSET", "h", "f1", "v1", "f2", "v2"], "2")
    expect_reply(port, ["HGET", "h", "f1"], "v1")
    expect_reply(port, ["HGETALL", "h"], "f1\nv1\nf2\nv2")
    expect_reply(port, ["HDEL", "h", "f1"], "1")
    expect_reply(port, ["HLEN", "h"], "1")
    expect_reply(port, ["TYPE", "h"], "hash")
    expect_reply(port, ["GET", "s"],
           "WRONGTYPE Operation against a key holding the wrong kind of value")
    expect_reply(port, ["EXISTS", "a", "s", "nope"], "2")
    expect_reply(port, ["DEL", "a"], "1")
    expect_reply(port, ["TTL", "greeting"], "-1")
    expect_reply(port, ["SETNX", "k", "v"],
           "ERR SETNX needs coordination, but key 'k' is coordination-free: start calm-kvs "
           "with --linearizable PATTERN matching it (no key is linearizable now)")
    expect_reply(port, ["NOSUCH", "x"],
                 "ERR unknown command 'NOSUCH', with args beginning with: 'x' ")
    expect_reply(port, ["PING"], "PONG")


def snapshot(port):
    """What families() leaves behind, as one replica reads it."""
    return [cli(port, *args) for args in (["GET", "greeting"], ["MGET", "a", "b"],
                                          ["SMEMBERS", "s"], ["SMEMBERS", "u"],
                                          ["HGETALL", "h"], ["DBSIZE"])]


def server_commands(port):
    """CONFIG GET, HINCRBY, INFO sections, and writes too long to replicate."""
    expect_reply(port, ["CONFIG", "GET", "save"], "save")  # the value is empty: no snapshots
    expect_reply(port, ["CONFIG", "GET", "appendonly"], "appendonly\nyes")
    expect_reply(port, ["CONFIG", "GET", "appendfsync"], "appendfsync\neverysec")
    expect_reply(port, ["HINCRBY", "counts", "views", "5"], "5")
    expect_reply(port, ["HINCRBY", "counts", "views", "-2"], "3")
    expect_reply(port, ["HSET", "counts", "name", "page"], "1")
    expect_reply(port, ["HGETALL", "counts"], "name\npage\nviews\n3")
    expect_reply(port, ["HINCRBY", "counts", "name", "1"], "ERR hash value is not an integer")
    server = cli(port, "INFO", "server")
    if "# Server" not in server or "# Keyspace" in server:
        FAILURES.append(f"INFO server: {server!r}")
    keyspace = cli(port, "INFO", "keyspace")
    if not keyspace.startswith("# Keyspace") or "# Server" in keyspace or "db0:keys=" not in keyspace:
        FAILURES.append(f"INFO keyspace: {keyspace!r}")
    if "# Replication" not in cli(port, "INFO", "replication"):
        FAILURES.append("INFO replication has no Replication section")
    # A key or value that could not be replicated is refused, and the server carries on.
    long_key = "k" * 2000
    if not cli(port, "SET", long_key, "v").startswith("ERR calm-kvs takes keys up to 1024"):
        FAILURES.append("SET with a 2000-byte key was not refused")
    # Past redis-cli's argument length: sent on a socket.
    huge = b"m" * (1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$%d\r\n%s\r\n" % (len(huge), huge))
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    if not reply.startswith(b"-ERR calm-kvs takes values"):
        FAILURES.append(f"SADD of a 1 MiB member was not refused: {reply[:80]!r}")
    expect_reply(port, ["PING"], "PONG")
    expect_reply(port, ["EXISTS", long_key], "0")


def pipelined_burst(port, connections=4, each=250):
    """INCRs and SADDs pipelined on several connections at once; returns when every reply
    has been read, so each of them was acknowledged."""
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(connections)]
    for c, s in enumerate(sockets):
        frames = []
        for i in range(each):
            member = f"c{c}m{i}"
            frames.append(b"*2\r\n$4\r\nINCR\r\n$5\r\nburst\r\n")
            frames.append(f"*3\r\n$4\r\nSADD\r\n$8\r\nburstset\r\n${len(member)}\r\n{member}\r\n"
                          .encode())
        s.sendall(b"".join(frames))
    for s in sockets:
        replies, data = 0, b""
        while replies < 2 * each:
            chunk = s.recv(65536)
            if not chunk:
                FAILURES.append("a burst connection closed before every reply")
                break
            data += chunk
            replies = data.count(b"\r\n")
        s.close()


def free_transaction(port):
    """A client library's transactional pipeline (MULTI, the commands, EXEC in one write, as
    redis-py sends it) on coordination-free keys: queued, then run all at once at EXEC."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"*1\r\n$5\r\nMULTI\r\n"
                  b"*3\r\n$3\r\nSET\r\n$2\r\ntx\r\n$1\r\n1\r\n"
                  b"*2\r\n$4\r\nINCR\r\n$5\r\ntxctr\r\n"
                  b"*1\r\n$4\r\nEXEC\r\n")
        data = b""
        expected = b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:1\r\n"
        while len(data) < len(expected):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    if data != expected:
        FAILURES.append(f"a transaction on coordination-free keys answered {data!r}")
    expect_reply(port, ["EXISTS", "tx", "txctr"], "2")


def bad_input(port):
    before = cli(port, "SMEMBERS", "s")
    for payload in [b"*2\r\n$3\r\nGET\r\n$99999999999\r\n",   # absurd bulk length
                    b"*99999999999\r\n",                        # absurd array count
                    b"\x00\xff\xfe garbage \x01\r\n" * 3,       # binary garbage, inline
                    b"*3\r\n$3\r\nSET\r\n$1\r\nk",              # truncated, then closed
                    b"FLUSHALL_NOT_A_COMMAND\r\n"]:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            try:
                s.recv(4096)
            except OSError:
                pass
    expect_reply(port, ["PING"], "PONG")
    expect_reply(port, ["SMEMBERS", "s"], before)


def clients(port):
    """CLIENT ID, INFO, LIST and KILL on live connections."""
    a, b = Conn(port), Conn(port)
    try:
        a.call("CLIENT", "SETNAME", "first")
        b.call("CLIENT", "SETNAME", "second")
        a_id, b_id = a.call("CLIENT", "ID"), b.call("CLIENT", "ID")
        if not (isinstance(a_id, int) and isinstance(b_id, int) and 0 < a_id < b_id):
            FAILURES.append(f"CLIENT ID: {a_id!r} then {b_id!r}")
            return
        listed = a.call("CLIENT", "LIST").decode().splitlines()
        mine = [line for line in listed if line.startswith(f"id={a_id} ")]
        theirs = [line for line in listed if line.startswith(f"id={b_id} ")]
        if not mine or " name=first " not in mine[0] or " cmd=client " not in mine[0] \
                or not theirs or " name=second " not in theirs[0]:
            FAILURES.append(f"CLIENT LIST: {listed!r}")
        info = b.call("CLIENT", "INFO").decode()
        if not info.startswith(f"id={b_id} addr=127.0.0.1:") or not info.endswith(" resp=2\n"):
            FAILURES.append(f"CLIENT INFO: {info!r}")
        only = a.call("CLIENT", "LIST", "ID", str(b_id)).decode()
        if only.count("\n") != 1 or not only.startswith(f"id={b_id} "):
            FAILURES.append(f"CLIENT LIST ID {b_id}: {only!r}")
        # Each client once however often it is named (Redis prints a line per id named: a long
        # name named a million times would be a reply of GBs), in the order first named.
        again = a.call("CLIENT", "LIST", "ID", str(b_id), str(a_id), str(b_id), str(b_id))
        ids = [line.split(" ")[0] for line in again.decode().splitlines()]
        if ids != [f"id={b_id}", f"id={a_id}"]:
            FAILURES.append(f"CLIENT LIST ID naming clients again lists them again: {ids!r}")
        if a.call("CLIENT", "KILL", "ID", str(a_id)) != 0:  # SKIPME yes: not itself
            FAILURES.append("CLIENT KILL ID of itself killed it with SKIPME yes")
        addr = info.split(" addr=")[1].split(" ")[0]
        if a.call("CLIENT", "KILL", addr) != "OK":  # the old form, by address
            FAILURES.append(f"CLIENT KILL {addr} did not answer OK")
        try:
            b.call("PING")
            FAILURES.append("a connection CLIENT KILL closed still answers")
        except (ConnectionError, OSError):
            pass
        if a.call("PING") != "PONG":
            FAILURES.append("the killing connection stopped answering")
        if a.call("CLIENT", "KILL", "ID", str(a_id), "SKIPME", "no") != 1:
            FAILURES.append("CLIENT KILL ID of itself with SKIPME no did not count it")
        try:
            a.call("PING")
            FAILURES.append("a connection that killed itself still answers")
        except (ConnectionError, OSError):
            pass
    finally:
        a.close()
        b.close()


def expired_keys(port):
    for line in cli(port, "INFO", "stats").splitlines():
        if line.startswith("expired_keys:"):
            return int(line.split(":", 1)[1])
    return -1


def replicated_expiry(resp):
    """A TTL set at one replica reaches the others, and a key no command reads again is deleted
    by the replicas' active expiry sweep, everywhere."""
    expect_reply(resp[0], ["SADD", "keep", "x"], "1")
    expect_reply(resp[0], ["EXPIRE", "keep", "1000"], "1")
    expect_reply(resp[0], ["SET", "temp", "v"], "OK")
    expect_reply(resp[0], ["PEXPIRE", "temp", "300"], "1")
    for p in resp:
        wait_until(lambda p=p: cli(p, "TTL", "keep") in ("999", "1000"),
                   f"replica on {p} has keep's TTL")
    # Nothing reads temp: only the sweep (every 100 ms) finds it expired.
    wait_until(lambda: sum(expired_keys(p) for p in resp) >= 1,
               "an active expiry sweep deletes temp")
    expect_reply(resp[1], ["PERSIST", "keep"], "1")
    for p in resp:
        wait_until(lambda p=p: cli(p, "TTL", "keep") == "-1" and cli(p, "EXISTS", "temp") == "0",
                   f"replica on {p} has the PERSIST and no temp")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # One replica, every family, bad input.
    solo = Replica(binary, os.path.join(work, "solo"), rid=1, gossip_ms=20)
    solo_port = solo.port
    solo.start()
    try:
        families(solo_port)
        server_commands(solo_port)
        clients(solo_port)
        free_transaction(solo_port)
        bad_input(solo_port)
    finally:
        solo.stop()

    # Three replicas: writes at each converge everywhere; SIGKILL after acknowledged writes.
    replicas = cluster(binary, work, 3)
    resp = [r.port for r in replicas]
    try:
        # Every family at one replica of the three; the others converge to what it reads.
        families(resp[1])
        for p in (resp[0], resp[2]):
            wait_until(lambda p=p: snapshot(p) == snapshot(resp[1]),
                       f"replica on {p} converges to the families' writes")
        cli(resp[0], "SADD", "cart", "milk")
        cli(resp[1], "SADD", "cart", "eggs")
        cli(resp[2], "INCRBY", "visits", "3")
        cli(resp[0], "INCR", "visits")
        cli(resp[1], "HSET", "user", "name", "ada")
        for p in resp:
            wait_until(lambda p=p: cli(p, "SMEMBERS", "cart") == "eggs\nmilk"
                       and cli(p, "GET", "visits") == "4" and cli(p, "HGET", "user", "name") == "ada",
                       f"replica on {p} converges")
        replicated_expiry(resp)
        for i in range(50):
            if cli(resp[2], "SADD", "acked", f"e{i}") != "1":
                FAILURES.append(f"SADD acked e{i} was not acknowledged")
        pipelined_burst(resp[2])
        replicas[2].kill9()
        replicas[2].start()
        expect_reply(resp[2], ["SCARD", "acked"], "50")
        expect_reply(resp[2], ["GET", "burst"], "1000")
        expect_reply(resp[2], ["SCARD", "burstset"], "1000")
        for p in resp:
            wait_until(lambda p=p: cli(p, "SCARD", "acked") == "50",
                       f"replica on {p} has every acknowledged element after the restart")
    finally:
        for r in replicas:
            r.stop()

    if FAILURES:
        for f in FAILURES:
            print("e2e: FAILED:", f)
        return 1
    print("e2e: command families, bad input, three replicas converging and a SIGKILL restart: "
          "all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
