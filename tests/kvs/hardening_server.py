#!/usr/bin/env python3
"""calm-kvs under a hostile environment, one real process at a time (issue 12):

  disk-full    a small tmpfs as the data directory fills up under writes: the writes the disk
               refused get "-MISCONF ..." and are never visible, there or at a peer, every
               acknowledged write reads back (at the peer too), reads go on, kill -9 and restart (three times, writing until full again in
               between) keeps all of it, and once the tmpfs is made larger writes work again;
               with --durability everysec and always. Skipped, saying so, where mount fails.
  memory       connections that each send most of a huge request and then idle: the server
               holds no more than --maxmemory-clients of them (closing the largest), its RSS
               stays within that budget plus a margin, and once the requests complete its
               INFO shows nothing buffered and its RSS falls back.
  replies      600 pipelined GETs of a 512 KiB value sent in one write, 300 MiB of replies for
               13 KiB of requests (coordination-free, then linearizable each its own log
               entry), while the client reads nothing: the server's RSS grows by
               at most twice its per-turn reply bound (64 MiB), another client is answered
               meanwhile, and once the client reads, every reply arrives, in order, and the
               connection goes on. (`replies-unmeasured`: the same without the RSS check, for
               the sanitizer builds, whose allocator keeps freed memory.)
  descriptors  a small RLIMIT_NOFILE: maxclients is lowered at start with a line saying so,
               clients past it are told "-ERR max number of clients reached"; with the
               descriptors used up behind the server's back, new clients are told the same
               (or closed) instead of hanging, accepts back off (a handful of failed accepts,
               not thousands) with a log line, and clients are served again once some leave.
  corruption   a flipped byte in the newest write-ahead log: the replica refuses to start,
               exits non-zero, and its message names the log file.

Bounded: every wait gives up (20 s for a start, 10 s for a reply); no timing is asserted.

usage: hardening_server.py CALM_KVS WORK_DIR [TEST ...]
"""
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import (FAILURES, Conn, Replica, RespError, fail, info, peer_list,  # noqa: E402
                         ping, wait_until)
from ports import free_ports  # noqa: E402

MIB = 1 << 20


def check(ok, what):
    if not ok:
        fail(what)
        print("FAIL:", what, flush=True)
    return ok


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Server(Replica):
    """A replica on free ports (unless given) whose stderr goes to `log`."""

    def __init__(self, binary, data, log, extra=(), preexec=None, pass_fds=(), ports=None):
        port, peer_port = ports or (None, None)
        super().__init__(binary, data, port, peer_port, extra=extra, log=log,
                         preexec_fn=preexec, pass_fds=pass_fds)

    def start(self, expect_up=True):
        """Starts and waits until PING answers (True) or the process exits (False)."""
        self.launch()
        if self.wait_answering():
            return True
        if self.proc.poll() is not None:
            if expect_up:
                check(False, f"calm-kvs exited with {self.proc.returncode} at start: "
                             f"{self.log_tail()}")
            return False
        check(not expect_up, "calm-kvs did not answer PING within 20 s")
        return False


# ---- disk full -------------------------------------------------------------------------------

def value_for(i):
    return (b"%010d" % i) * 200  # 2,000 bytes


def write_until_full(conn, first, acked, refused, batches_max, reader=None):
    """SETs in pipelined batches of 8 until some are refused; returns the next key number."""
    i = first
    for batch in range(batches_max):
        keys = list(range(i, i + 8))
        i += 8
        conn.send(*[("SET", f"k{n}", value_for(n)) for n in keys])
        errors = 0
        for n in keys:
            r = conn.reply()
            if r == "OK":
                acked[n] = True
            elif isinstance(r, RespError):
                check(str(r).startswith("MISCONF Errors writing to the AOF file: "),
                      f"a refused write's error is Redis's MISCONF: {r}")
                refused.add(n)
                errors += 1
            else:
                check(False, f"SET replied {r!r}")
        if reader is not None and acked and batch % 16 == 0:
            n = random.choice(list(acked))
            check(reader.call("GET", f"k{n}") == value_for(n),
                  "a read between writes returns an acknowledged value")
        if errors:
            return i
    return i


def verify(port, acked, refused, when):
    c = Conn(port)
    try:
        keys = sorted(acked)
        for start in range(0, len(keys), 200):
            chunk = keys[start:start + 200]
            c.send(*[("GET", f"k{n}") for n in chunk])
            for n in chunk:
                r = c.reply()
                if r != value_for(n):
                    check(False, f"{when}: acknowledged k{n} reads back {str(r)[:60]!r}")
                    return
        for n in sorted(refused)[:200]:
            if n in acked:
                continue
            r = c.call("GET", f"k{n}")
            if not check(r is None, f"{when}: refused k{n} is not visible, got {str(r)[:60]!r}"):
                return
    finally:
        c.close()


def test_disk_full(binary, work, durability):
    mnt = os.path.join(work, f"tmpfs-{durability}")
    os.makedirs(mnt, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        print(f"SKIP disk-full ({durability}): cannot mount a tmpfs here: "
              f"{mounted.stderr.strip() or mounted.returncode}", flush=True)
        return
    # A peer on an ordinary disk: it must get every acknowledged write and none of the refused.
    ports = free_ports(4)
    peers = peer_list({1: ports[1], 2: ports[3]})
    server = Server(binary, os.path.join(mnt, "data"), os.path.join(work, f"disk-{durability}.log"),
                    extra=["--durability", durability, "--id", "1", "--peers", peers,
                           "--gossip-ms", "20"], ports=ports[:2])
    peer_data = os.path.join(work, f"peer-{durability}")
    shutil.rmtree(peer_data, ignore_errors=True)
    peer = Server(binary, peer_data, os.path.join(work, f"peer-{durability}.log"),
                  extra=["--id", "2", "--peers", peers, "--gossip-ms", "20"], ports=ports[2:])
    try:
        if not server.start() or not peer.start():
            return
        acked, refused = {}, set()
        writer, reader = Conn(server.port), Conn(server.port)
        try:
            nxt = write_until_full(writer, 0, acked, refused, 4000, reader)
            if not check(refused, "the 24 MiB tmpfs filled up and writes were refused"):
                return
            # A few more tries while full: each is refused, and the server stays up.
            nxt = write_until_full(writer, nxt, acked, refused, 3, reader)
            check(server.alive(), "the server is still running with its disk full")
            r = reader.call("GET", f"k{min(acked)}")
            check(r == value_for(min(acked)), "reads work while the disk is full")
        except OSError as e:
            check(False, f"the connection broke while the disk filled up: {e}; "
                         f"{server.log_tail()}")
            return
        finally:
            writer.close()
            reader.close()
        print(f"disk-full ({durability}): {len(acked)} writes acknowledged, "
              f"{len(refused)} refused", flush=True)
        verify(server.port, acked, refused, "with the disk full")
        def peer_has_every_acknowledged_write():
            # Replication does not go in key order: wait for every acknowledged key, not the
            # last one written (under the sanitizers the peer takes seconds longer).
            c = Conn(peer.port)
            try:
                keys = sorted(acked)
                for start in range(0, len(keys), 200):
                    chunk = keys[start:start + 200]
                    c.send(*[("GET", f"k{n}") for n in chunk])
                    if [c.reply() for _ in chunk] != [value_for(n) for n in chunk]:
                        return False
                return True
            finally:
                c.close()

        # verify() below says what is missing if this runs out.
        wait_until(peer_has_every_acknowledged_write, None, timeout=120, interval_s=0.5)
        time.sleep(0.5)  # a few more gossip rounds, in which a refused write could leak
        verify(peer.port, acked, refused, "at the peer")
        for round_ in range(3):
            server.kill9()
            if not server.start():
                return
            verify(server.port, acked, refused, f"after kill -9 number {round_ + 1}, disk full")
            w = Conn(server.port)
            try:
                nxt = write_until_full(w, nxt, acked, refused, 200)
            except OSError as e:
                check(False, f"writing after restart {round_ + 1}: {e}")
            finally:
                w.close()
        server.kill9()
        if not server.start():
            return
        verify(server.port, acked, refused, "after the last kill -9")
        # Room again: writes work (the store resumes on the next write).
        subprocess.run(["mount", "-o", "remount,size=96m", mnt], check=True)
        w = Conn(server.port)
        try:
            ok = False
            r = None
            deadline = time.time() + 30  # RocksDB's recovery from a full disk, on a busy machine
            while time.time() < deadline:
                r = w.call("SET", f"k{nxt}", value_for(nxt))
                if r == "OK":
                    acked[nxt] = True
                    ok = True
                    nxt += 1
                    break
                time.sleep(0.05)
            check(ok, f"writes work again once the disk has room (last reply: {r!r})")
            for _ in range(50):
                if check(w.call("SET", f"k{nxt}", value_for(nxt)) == "OK",
                         "every write works once the disk has room"):
                    acked[nxt] = True
                nxt += 1
        finally:
            w.close()
        verify(server.port, acked, refused, "with room again")
        server.kill9()
        if server.start():
            verify(server.port, acked, refused, "after kill -9 with room again")
    finally:
        server.stop()
        peer.stop()
        subprocess.run(["umount", mnt], capture_output=True)


# ---- memory ----------------------------------------------------------------------------------

def test_memory(binary, work):
    budget = 64 * MIB
    data = os.path.join(work, "memory-data")
    shutil.rmtree(data, ignore_errors=True)
    server = Server(binary, data, os.path.join(work, "memory.log"),
                    extra=["--maxmemory-clients", str(budget),
                           "--client-query-buffer-limit", str(48 * MIB)])
    if not server.start():
        return
    try:
        base = rss_bytes(server.proc.pid)
        bulk = 32 * MIB
        sent = 30 * MIB
        header = b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % bulk
        chunk = b"x" * MIB
        conns, closed = [], 0
        peak = 0
        for _ in range(6):
            c = Conn(server.port, timeout=10)
            try:
                c.sock.sendall(header)
                for _ in range(sent // MIB):
                    c.sock.sendall(chunk)
                conns.append(c)
            except OSError:
                closed += 1
                c.close()
            peak = max(peak, rss_bytes(server.proc.pid))
        time.sleep(0.5)  # let the server read what was sent
        peak = max(peak, rss_bytes(server.proc.pid))
        held = info(server.port)
        peak = max(peak, rss_bytes(server.proc.pid))
        print(f"memory: base RSS {base // MIB} MiB, peak {peak // MIB} MiB, "
              f"{len(conns)} connections kept of 6, INFO clients_input_bytes "
              f"{held.get('clients_input_bytes')}, evicted_clients {held.get('evicted_clients')}",
              flush=True)
        check(int(held.get("clients_input_bytes", 1 << 62)) <= budget,
              "INFO's buffered input bytes stay within --maxmemory-clients")
        check(int(held.get("evicted_clients", 0)) >= 1, "the largest connections were closed")
        # The parser's buffer may have grown by doubling: twice the budget, plus a margin.
        check(peak - base <= 2 * budget + 32 * MIB,
              f"RSS grew by {(peak - base) // MIB} MiB, within twice the budget plus 32 MiB")
        # The survivors (if the server closed them, their send fails) complete their requests.
        rest = b"x" * (bulk - sent) + b"\r\n"
        for c in conns:
            try:
                c.sock.sendall(rest)
                r = c.reply()
                check(isinstance(r, bytes) and len(r) == bulk,
                      f"a request within the budget completes: {str(r)[:60]!r}")
            except OSError:
                pass
        time.sleep(0.5)
        idle = info(server.port)
        after = rss_bytes(server.proc.pid)
        print(f"memory: after the requests completed, RSS {after // MIB} MiB, INFO "
              f"clients_input_bytes {idle.get('clients_input_bytes')}", flush=True)
        check(idle.get("clients_input_bytes") == "0",
              "idle connections hold no buffered input (INFO clients_input_bytes:0)")
        check(after - base <= 48 * MIB,
              f"RSS falls back once the connections idle: {(after - base) // MIB} MiB above the "
              f"start, at most 48")
        for c in conns:
            c.close()
        check(server.alive(), "the server survived")
    finally:
        server.stop()


# ---- replies ---------------------------------------------------------------------------------

def read_replies(conn, expected, n, what):
    """Reads `n` copies of the bytes `expected` off `conn`'s socket; leaves what follows in its
    buffer. False (after a failure) when the bytes differ or the server closes."""
    got = bytearray()
    for i in range(n):
        while len(got) < len(expected):
            chunk = conn.sock.recv(1 << 20)
            if not chunk:
                return check(False, f"{what}: the server closed the connection after {i} replies")
            got += chunk
        if got[:len(expected)] != expected:
            return check(False, f"{what}: reply {i} is {bytes(got[:40])!r}")
        del got[:len(expected)]
    conn.buf = got
    return True


def test_replies(binary, work, measure_rss):
    data = os.path.join(work, "replies-data")
    shutil.rmtree(data, ignore_errors=True)
    server = Server(binary, data, os.path.join(work, "replies.log"), extra=["--linearizable", "lk*"])
    if not server.start():
        return
    try:
        value = b"r" * (512 * 1024)
        bulk = b"$%d\r\n%s\r\n" % (len(value), value)
        c = Conn(server.port, timeout=20)
        check(c.call("SET", "big", value) == "OK", "SET of a 512 KiB value")
        check(c.call("SET", "lk", value) == "OK", "SET of a 512 KiB value on a linearizable key")
        n = 600
        # Coordination-free GETs, then linearizable ones each sent to the log on its own (EXEC
        # without MULTI ends the group): 300 MiB of replies for a few KiB of requests each.
        for what, requests, expected in [
                ("GET big", [("GET", "big")], bulk),
                ("GET lk; EXEC", [("GET", "lk"), ("EXEC",)],
                 bulk + b"-ERR EXEC without MULTI\r\n")]:
            base = rss_bytes(server.proc.pid)
            c.send(*(requests * n), ("PING",))  # one read of the server's
            time.sleep(1.0)  # let the server run what it will before the client reads
            grown = rss_bytes(server.proc.pid) - base
            print(f"replies: {what} x {n}: RSS grew by {grown // MIB} MiB while "
                  f"{n * len(value) // MIB} MiB of replies were asked for and none was read",
                  flush=True)
            if measure_rss:
                check(grown <= 2 * 64 * MIB,
                      f"{what}: the server built at most its per-turn reply bound: RSS grew by "
                      f"{grown // MIB} MiB, at most 128")
            check(ping(server.port), f"{what}: another client is answered meanwhile")
            if not read_replies(c, expected, n, what):
                return
            check(c.reply() == "PONG", f"{what}: the request behind the paused ones is last")
            check(c.call("GET", "missing") is None, f"{what}: the connection goes on")
        c.close()
        check(server.alive(), "the server survived")
    finally:
        server.stop()


# ---- descriptors -----------------------------------------------------------------------------

def limit_descriptors(n):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


def connect_many(port, n):
    """Opens n connections and PINGs on each: (served, refused, hung) and the open sockets."""
    served, refused, hung, conns = 0, 0, 0, []
    for _ in range(n):
        try:
            c = Conn(port, timeout=5)
        except OSError:
            refused += 1
            continue
        try:
            r = c.call("PING")
            if r == "PONG":
                served += 1
                conns.append(c)
                continue
            if isinstance(r, RespError) and "max number of clients reached" in str(r):
                refused += 1
            else:
                check(False, f"PING replied {r!r}")
        except socket.timeout:
            hung += 1
        except OSError:
            refused += 1  # closed without a word: not a hang
        c.close()
    return served, refused, hung, conns


def test_descriptors(binary, work):
    limit = 400
    data = os.path.join(work, "fd-data")
    shutil.rmtree(data, ignore_errors=True)
    log = os.path.join(work, "descriptors.log")
    open(log, "wb").close()
    server = Server(binary, data, log, preexec=limit_descriptors(limit))
    if not server.start():
        return
    try:
        check("maxclients has been reduced" in server.log_tail(),
              f"a line says maxclients was lowered to fit {limit} descriptors: "
              f"{server.log_tail(300)!r}")
        maxclients = int(info(server.port).get("maxclients", 0))
        check(0 < maxclients < limit, f"INFO maxclients {maxclients} fits {limit} descriptors")
        served, refused, hung, conns = connect_many(server.port, maxclients + 20)
        print(f"descriptors: maxclients {maxclients}; {served} served, {refused} refused, "
              f"{hung} hung", flush=True)
        check(hung == 0, "no client hangs past maxclients")
        check(refused >= 20 - 1, "clients past maxclients are refused")
        for c in conns:
            c.close()
    finally:
        server.stop()

    # The descriptors used up behind the server's back: it inherits 330 of its 400.
    inherited = [os.open("/dev/null", os.O_RDONLY) for _ in range(330)]
    for fd in inherited:
        os.set_inheritable(fd, True)
    open(log, "wb").close()
    server = Server(binary, data, log, preexec=limit_descriptors(limit),
                    pass_fds=tuple(inherited))
    try:
        if not server.start():
            return
        served, refused, hung, conns = connect_many(server.port, 120)
        print(f"descriptors (exhausted): {served} served, {refused} refused, {hung} hung",
              flush=True)
        check(hung == 0, "no client hangs when descriptors run out")
        check(refused > 0, "clients are refused when descriptors run out")
        time.sleep(3)  # an accept loop that spins would count tens of thousands of failures
        for c in conns[:10]:
            c.close()
        conns = conns[10:]
        stats = {}
        for _ in range(50):
            try:
                stats = info(server.port)
                break
            except (OSError, ValueError):
                time.sleep(0.1)
        failures = int(stats.get("accept_failures", -1))
        print(f"descriptors (exhausted): accept_failures {failures}, rejected_connections "
              f"{stats.get('rejected_connections')}", flush=True)
        check(0 <= failures <= 10 * (refused + 5),
              f"accepts back off: {failures} failed accepts for {refused} refused clients")
        check("accept failed" in server.log_tail(), "a log line says accepts fail")
        c = Conn(server.port)
        check(c.call("PING") == "PONG", "a new client is served once some have left")
        c.close()
        for c in conns:
            c.close()
        check(server.alive(), "the server survived")
    finally:
        server.stop()
        for fd in inherited:
            os.close(fd)


# ---- corruption ------------------------------------------------------------------------------

def test_corruption(binary, work):
    data = os.path.join(work, "corrupt-data")
    shutil.rmtree(data, ignore_errors=True)
    server = Server(binary, data, os.path.join(work, "corrupt.log"))
    if not server.start():
        return
    c = Conn(server.port)
    for i in range(200):
        c.send(("SET", f"c{i}", "v" * 100))
    for i in range(200):
        c.reply()
    c.close()
    server.stop()
    logs = sorted(f for f in os.listdir(data) if f.endswith(".log") and f[0].isdigit())
    sizes = {f: os.path.getsize(os.path.join(data, f)) for f in logs}
    newest = max((f for f in logs if sizes[f] > 0), default=None)
    if not check(newest is not None, f"a non-empty write-ahead log in {sorted(os.listdir(data))}"):
        return
    path = os.path.join(data, newest)
    with open(path, "r+b") as f:
        f.seek(sizes[newest] // 3)
        b = f.read(1)
        f.seek(sizes[newest] // 3)
        f.write(bytes([b[0] ^ 0x5a]))
    open(server.log_path, "wb").close()
    up = server.start(expect_up=False)
    if up:
        check(False, f"the replica started on a corrupt log {newest}")
        server.stop()
        return
    message = server.log_tail()
    print(f"corruption: exit {server.proc.returncode}; {message.strip()[-400:]}", flush=True)
    check(server.proc.returncode != 0, "the replica exits non-zero")
    check(newest in message, f"the message names the log file {newest}")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    binary, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    wanted = sys.argv[3:] or ["disk-full", "memory", "replies", "descriptors", "corruption"]
    os.makedirs(work, exist_ok=True)
    random.seed(12)
    for name in wanted:
        print(f"== {name}", flush=True)
        if name == "disk-full":
            test_disk_full(binary, work, "everysec")
            test_disk_full(binary, work, "always")
        elif name == "memory":
            test_memory(binary, work)
        elif name in ("replies", "replies-unmeasured"):
            test_replies(binary, work, measure_rss=name == "replies")
        elif name == "descriptors":
            test_descriptors(binary, work)
        elif name == "corruption":
            test_corruption(binary, work)
        else:
            print(f"unknown test {name}")
            sys.exit(2)
    if FAILURES:
        print(f"{len(FAILURES)} failed:")
        for f in FAILURES:
            print("  " + f)
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
