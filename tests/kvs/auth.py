#!/usr/bin/env python3
"""calm-kvs with a password (--requirepass-file) against redis-server with requirepass:

  bytes        the same raw requests on fresh connections to both servers, the replies
               compared byte for byte: every command before AUTH is NOAUTH, wrong passwords are
               WRONGPASS, AUTH and HELLO AUTH with every option and error, and the stricter
               bounds a connection has before it authenticates (an array of 11 items or a bulk
               of 16 KiB + 1 is a protocol error that closes it; after AUTH neither is).
  clients      redis-cli -a and redis-py (python3-redis) with the password work, without it
               they are refused; INFO counts the wrong passwords; CONFIG GET does not give
               the password back.
  protected    without a password calm-kvs refuses to serve beyond loopback, as Redis's
               protected mode; --protected-mode no allows it.

Bounded: every wait gives up (20 s for a start, 10 s for a reply); no timing is asserted.

usage: auth.py CALM_KVS WORK_DIR
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from kvs_process import (FAILURES, Replica, cmd, exchange, fail, redis_answers,  # noqa: E402
                         redis_py_module, start_redis, wait_until)
from ports import free_ports  # noqa: E402

PASSWORD = "correct horse battery staple"


def hello_normalized(reply):
    """HELLO's map with the server's own fields (server, version, id) blanked."""
    lines = reply.split(b"\r\n")
    for i, line in enumerate(lines):
        if line in (b"server", b"version", b"id") and i + 2 < len(lines):
            lines[i + 2] = b"<" + line + b">"
            if lines[i + 1].startswith(b"$"):
                lines[i + 1] = b"$?"
            elif lines[i + 1].startswith(b":"):
                lines[i + 1] = b":?"
    return b"\r\n".join(lines)


# (name, the bytes sent on one fresh connection). Replies are compared byte for byte.
SCRIPTS = [
    ("PING before AUTH", cmd("PING")),
    ("GET, SET, CLIENT, COMMAND before AUTH",
     cmd("GET", "k") + cmd("SET", "k", "v") + cmd("CLIENT", "SETNAME", "x") + cmd("COMMAND")),
    ("an unknown command before AUTH", cmd("NOSUCHCOMMAND", "a")),
    ("MULTI before AUTH, then EXEC after", cmd("MULTI") + cmd("AUTH", PASSWORD) + cmd("EXEC")),
    ("inline PING before AUTH", b"PING\r\n"),
    ("AUTH with a wrong password", cmd("AUTH", "wrong") + cmd("PING")),
    ("AUTH of a user that does not exist", cmd("AUTH", "alice", PASSWORD) + cmd("PING")),
    ("AUTH default with a wrong password", cmd("AUTH", "default", "wrong")),
    ("AUTH with the password", cmd("AUTH", PASSWORD) + cmd("PING") + cmd("SET", "a", "1") +
     cmd("GET", "a")),
    ("AUTH default with the password", cmd("AUTH", "default", PASSWORD) + cmd("GET", "a")),
    ("AUTH with no argument", cmd("AUTH")),
    ("AUTH with three arguments", cmd("AUTH", "a", "b", "c")),
    ("AUTH empty password", cmd("AUTH", "")),
    ("AUTH, then a wrong one: still authenticated",
     cmd("AUTH", PASSWORD) + cmd("AUTH", "wrong") + cmd("GET", "a")),
    ("AUTH with the password and a newline", cmd("AUTH", PASSWORD + "\n")),
    ("HELLO before AUTH", cmd("HELLO")),
    ("HELLO 2 before AUTH", cmd("HELLO", "2")),
    ("HELLO 3 before AUTH", cmd("HELLO", "3")),
    ("HELLO 2 AUTH wrong", cmd("HELLO", "2", "AUTH", "default", "wrong") + cmd("PING")),
    ("HELLO 2 AUTH other user", cmd("HELLO", "2", "AUTH", "bob", PASSWORD)),
    ("HELLO 2 AUTH missing password", cmd("HELLO", "2", "AUTH", "default")),
    ("HELLO 2 with an unknown option", cmd("HELLO", "2", "FOO")),
    ("HELLO AUTH without a version", cmd("HELLO", "AUTH", "default", PASSWORD)),
    ("HELLO 2 SETNAME before AUTH", cmd("HELLO", "2", "SETNAME", "x")),
    ("HELLO 2 with a bad SETNAME before its AUTH logs nothing in",
     cmd("HELLO", "2", "SETNAME", "a b", "AUTH", "default", PASSWORD) + cmd("GET", "a")),
    ("HELLO 2 SETNAME bad name after AUTH",
     cmd("HELLO", "2", "AUTH", "default", PASSWORD, "SETNAME", "a b")),
    ("QUIT before AUTH", cmd("QUIT") + cmd("PING")),
    ("RESET before AUTH", cmd("RESET") + cmd("PING")),
    ("RESET after AUTH asks for the password again",
     cmd("AUTH", PASSWORD) + cmd("RESET") + cmd("GET", "a") + b"*2\r\n$20000\r\n"),
    # Redis's bounds on a stranger's requests: each closes the connection.
    ("an array of 11 before AUTH", b"*11\r\n"),
    ("an array of 10 before AUTH", b"*10\r\n"),
    ("a bulk of 16385 bytes before AUTH", b"*2\r\n$16385\r\n"),
    ("a bulk of 16384 bytes before AUTH", b"*2\r\n$16384\r\n"),
    ("a wrong AUTH keeps the bounds", cmd("AUTH", "wrong") + b"*2\r\n$20000\r\n"),
    ("AUTH lifts the bounds", cmd("AUTH", PASSWORD) + cmd("SET", "big", "x" * 20000) +
     cmd("STRLEN", "big") + cmd("DEL", "big")),
    ("AUTH lifts the array bound", cmd("AUTH", PASSWORD) + cmd("DEL", *["k%d" % i for i in range(12)])),
]

HELLO_OK = [
    ("HELLO 2 AUTH right", cmd("HELLO", "2", "AUTH", "default", PASSWORD) + cmd("PING")),
    ("HELLO 2 SETNAME then AUTH",
     cmd("HELLO", "2", "SETNAME", "x", "AUTH", "default", PASSWORD) + cmd("CLIENT", "GETNAME")),
    ("HELLO after AUTH", cmd("AUTH", PASSWORD) + cmd("HELLO")),
]


def check_bytes(calm_port, redis_port):
    for name, data in SCRIPTS:
        # redis-server first: calm-kvs is then read until it has said as much (and is quiet).
        theirs, theirs_closed = exchange(redis_port, data)
        mine, mine_closed = exchange(calm_port, data, expect_bytes=len(theirs))
        if mine != theirs or mine_closed != theirs_closed:
            fail(f"{name}: calm-kvs {mine[:300]!r} (closed {mine_closed}), redis-server "
                 f"{theirs[:300]!r} (closed {theirs_closed})")
    for name, data in HELLO_OK:
        theirs, _ = exchange(redis_port, data)
        mine, _ = exchange(calm_port, data, expect_bytes=1)  # HELLO's fields differ in length
        if hello_normalized(mine) != hello_normalized(theirs):
            fail(f"{name}: calm-kvs {mine!r}, redis-server {theirs!r}")


def check_clients(port):
    def cli(*args):
        out = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip()
    got = cli("--no-auth-warning", "-a", PASSWORD, "SET", "who", "me")
    if got != "OK":
        fail(f"redis-cli -a: SET replied {got!r}")
    got = cli("GET", "who")
    if not got.startswith("NOAUTH"):
        fail(f"redis-cli without -a: GET replied {got!r}")
    got = cli("--no-auth-warning", "-a", "wrong", "GET", "who")
    if "WRONGPASS" not in got and not got.startswith("NOAUTH"):
        fail(f"redis-cli -a wrong: GET replied {got!r}")
    got = cli("--no-auth-warning", "-a", PASSWORD, "CONFIG", "GET", "requirepass")
    if PASSWORD in got:
        fail("CONFIG GET requirepass gives the password back")
    redis = redis_py_module()
    if redis is None:
        return
    r = redis.Redis(port=port, password=PASSWORD, socket_timeout=10)
    if r.get("who") != b"me" or not r.set("py", "1") or r.incr("n") != 1:
        fail("redis-py with the password: GET/SET/INCR")
    # redis-py 4.3 raises ResponseError for WRONGPASS, AuthenticationError for NOAUTH.
    refused = (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError)
    for password, word in (("wrong", "WRONGPASS"), (None, "NOAUTH")):
        try:
            redis.Redis(port=port, password=password, socket_timeout=10).get("who")
            fail(f"redis-py with password {password!r}: GET succeeded")
        except refused as e:
            if word not in str(e) and "Authentication required" not in str(e):
                fail(f"redis-py with password {password!r}: {e!r}")
    got = cli("--no-auth-warning", "-a", PASSWORD, "INFO", "stats")
    denied = [line for line in got.splitlines() if line.startswith("acl_access_denied_auth:")]
    if not denied or int(denied[0].split(":")[1]) < 1:
        fail(f"INFO stats counts no wrong password: {denied!r}")


def check_protected(binary, work):
    lonely = Replica(binary, os.path.join(work, "open"), extra=["--bind", "0.0.0.0"],
                     log=os.path.join(work, "open.log"))
    lonely.launch()
    code, err = lonely.exit_and_log()
    if code in (None, 0) or "without a password" not in err:
        fail(f"--bind 0.0.0.0 without a password: exit {code}, stderr {err[-400:]!r}")
    secret = os.path.join(work, "secret")
    with open(secret, "w") as f:
        f.write("s" * 40 + "\n")
    for extra, what in ((["--protected-mode", "no"], "--protected-mode no"),
                        (["--requirepass-file", os.path.join(work, "password")],
                         "a password")):
        wide = Replica(binary, os.path.join(work, "wide" + str(len(extra[1]))),
                       extra=["--bind", "0.0.0.0", "--cluster-secret-file", secret, *extra],
                       log=os.path.join(work, "wide.log"))
        if not wide.start():
            fail(f"--bind 0.0.0.0 with {what} did not start")
        wide.stop()
    two_lines = os.path.join(work, "two-lines")
    with open(two_lines, "w") as f:
        f.write("first\nsecond\n")
    bad = Replica(binary, os.path.join(work, "bad2"), extra=["--requirepass-file", two_lines],
                  log=os.path.join(work, "bad2.log"))
    bad.launch()
    code, err = bad.exit_and_log()
    if code in (None, 0) or "more than one line" not in err:
        fail(f"a password file of two lines: exit {code}, stderr {err[-400:]!r}")
    empty = os.path.join(work, "empty")
    open(empty, "w").close()
    bad = Replica(binary, os.path.join(work, "bad"), extra=["--requirepass-file", empty],
                  log=os.path.join(work, "bad.log"))
    bad.launch()
    code, err = bad.exit_and_log()
    if code in (None, 0) or "is empty" not in err:
        fail(f"an empty password file: exit {code}, stderr {err[-400:]!r}")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    password_file = os.path.join(work, "password")
    with open(password_file, "w") as f:
        f.write(PASSWORD + "\n")
    redis_port = free_ports(1)[0]
    redis = start_redis(redis_port, work, "--requirepass", PASSWORD)
    calm = Replica(binary, os.path.join(work, "calm"), extra=["--requirepass-file", password_file],
                   log=os.path.join(work, "calm.log"))
    try:
        wait_until(lambda: redis_answers(redis_port), "redis-server answers")
        if calm.start():
            check_bytes(calm.port, redis_port)
            check_clients(calm.port)
        check_protected(binary, work)
    finally:
        calm.stop()
        redis.terminate()
        redis.wait(timeout=10)
    if FAILURES:
        for f in FAILURES:
            print("auth: FAILED:", f)
        return 1
    print(f"auth: {len(SCRIPTS) + len(HELLO_OK)} request scripts byte for byte as redis-server; "
          "redis-cli and redis-py with the password; protected mode: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
