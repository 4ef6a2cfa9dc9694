#!/usr/bin/env python3
"""calm-kvs's replication port against local attackers (issue 12, finding 2): three replicas
on loopback with a cluster secret converge as before; a local process that writes a hand-built
wire-version-1 hello and frame is disconnected; an impostor calm-kvs that claims the id of a member that
is down (without the secret, or with a wrong one) and replicates its own writes gets nothing served by
any replica; calm-kvs refuses --bind 0.0.0.0 without a secret, and a secret under 32 bytes.
Bounded: each wait gives up after 20 s.

usage: hardening_peers.py CALM_KVS WORK_DIR
"""
import os
import shutil
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import FAILURES, Replica, cli, peer_list, wait_until  # noqa: E402
from ports import free_ports  # noqa: E402


def kvs(binary, rid, port, peer_port, peers, data, secret_file=None, bind="127.0.0.1",
        wait=True, extra=()):
    """A replica, started (and answering, with wait); its stderr goes to DATA.log, never a pipe
    nobody reads: rejected connections are logged there."""
    extra = ["--bind", bind, *extra]
    if secret_file:
        extra += ["--cluster-secret-file", secret_file]
    r = Replica(binary, data, port, peer_port, rid=rid, peers=peers, gossip_ms=20, extra=extra,
                log=data + ".log")
    if wait:
        r.start()
    else:
        r.launch()
    return r


def closed_by_peer(sock, timeout=10.0):
    """Whether the other side closes the connection within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def write_secret(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")
    return path


def main():
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    secret = write_secret(os.path.join(work, "secret"), os.urandom(32).hex())
    wrong = write_secret(os.path.join(work, "wrong"), os.urandom(32).hex())
    ports = free_ports(10)
    resp = {1: ports[0], 2: ports[1], 3: ports[2]}
    peer = {1: ports[3], 2: ports[4], 3: ports[5]}
    # Replica 4 is a member that is down (nobody listens on its port): the impostors claim it.
    peers = peer_list({**peer, 4: ports[6]})
    replicas = {i: kvs(binary, i, resp[i], peer[i], peers, os.path.join(work, f"r{i}"), secret)
                for i in (1, 2, 3)}
    impostors = []
    try:
        # With a secret, the cluster converges as before.
        if cli(resp[1], "SET", "honest", "v1") != "OK":
            FAILURES.append("SET at replica 1 failed")
        cli(resp[3], "SADD", "members", "a", "b")
        for i in (1, 2, 3):
            wait_until(lambda i=i: cli(resp[i], "GET", "honest") == "v1",
                       f"replica {i} serves replica 1's write")
            wait_until(lambda i=i: cli(resp[i], "SMEMBERS", "members") == "a\nb",
                       f"replica {i} serves replica 3's write")

        # A hand-built version-1 hello as replica 2 and a frame: disconnected, nothing merged.
        raw = socket.create_connection(("127.0.0.1", peer[1]))
        hello = b"calm-net" + struct.pack("<IQQ", 1, 2, 42)
        raw.sendall(hello + struct.pack("<I", 5) + b"delta")
        if not closed_by_peer(raw):
            FAILURES.append("a version-1 hello was not disconnected")
        raw.close()

        # Impostors: real calm-kvs processes claiming the id of replica 4 (a member that is
        # down), one without the secret and one with a wrong secret, each replicating its own
        # writes to replicas 1, 2 and 3.
        for n, (port, secret_file) in enumerate(((ports[7], None), (ports[9], wrong))):
            own = ports[6] if n == 0 else ports[8]
            imp_peers = peer_list({**peer, 4: own})
            impostors.append(kvs(binary, 4, port, own, imp_peers,
                                 os.path.join(work, f"impostor{n + 1}"), secret_file))
        for impostor in impostors:
            for n in range(5):
                if cli(impostor.port, "SET", f"stolen{n}", "evil") != "OK":
                    FAILURES.append(f"the impostor on {impostor.port} did not take its write")
                    break
            cli(impostor.port, "SADD", "members", "evil")
        # The honest replicas keep converging meanwhile, so gossip rounds do run.
        cli(resp[2], "SET", "after", "v2")
        for i in (1, 2, 3):
            wait_until(lambda i=i: cli(resp[i], "GET", "after") == "v2",
                       f"replica {i} serves a write made during the attack")
        time.sleep(1.0)  # many gossip rounds (20 ms) of the impostors
        for i in (1, 2, 3):
            for args, clean in ((["GET", "stolen4"], ""), (["SMEMBERS", "members"], "a\nb"),
                                (["DBSIZE"], "3")):
                got = cli(resp[i], *args)
                if got != clean:
                    FAILURES.append(f"replica {i} serves an impostor's write: "
                                    f"{' '.join(args)} -> {got!r}")
        for impostor in impostors:
            impostor.stop()

        # Protected mode: no listening beyond loopback without a secret.
        lonely = kvs(binary, 9, free_ports(1)[0], free_ports(1)[0], "", os.path.join(work, "open"),
                     bind="0.0.0.0", wait=False, extra=["--protected-mode", "no"])
        code, err = lonely.exit_and_log()
        if code in (None, 0) or "without a cluster secret" not in err:
            FAILURES.append(f"--bind 0.0.0.0 without a secret: exit {code}, stderr {err!r}")
        short = write_secret(os.path.join(work, "short"), "x" * 31)
        weak = kvs(binary, 9, free_ports(1)[0], free_ports(1)[0], "", os.path.join(work, "weak"),
                   secret_file=short, wait=False)
        code, err = weak.exit_and_log()
        if code in (None, 0) or "at least 32" not in err:
            FAILURES.append(f"a 31-byte secret: exit {code}, stderr {err!r}")
        # With a secret, 0.0.0.0 is allowed (clients' protected mode is auth.py's).
        port = free_ports(1)[0]
        wide = kvs(binary, 9, port, free_ports(1)[0], "", os.path.join(work, "wide"),
                   secret_file=secret, bind="0.0.0.0", extra=["--protected-mode", "no"])
        wide.stop()
    finally:
        for r in list(replicas.values()) + impostors:
            r.stop()

    if FAILURES:
        for f in FAILURES:
            print("hardening_peers: FAILED:", f)
        return 1
    print("hardening_peers: converged with a secret; v1 hello and impostors without the secret "
          "wrote nothing; unprotected --bind refused: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
