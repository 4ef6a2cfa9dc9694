"""calm-kvs as a real process on loopback, for the Python tests that drive it (tests/kvs/e2e.py
and hardening_*.py): a Replica process wrapper, redis-cli, a RESP client, bounded waits, INFO
fields, and the FAILURES list every check of the script appends to (one list per process:
each script is a process of its own).

Bounded: a start waits START_TIMEOUT_S for PING, a redis-cli call CLI_TIMEOUT_S, a socket
reply its timeout (10 s unless told), wait_until its timeout (20 s unless told).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from ports import free_ports

FAILURES = []
START_TIMEOUT_S = 20.0
CLI_TIMEOUT_S = 10
WAIT_TIMEOUT_S = 20.0


def fail(what):
    FAILURES.append(what)


def cli(port, *args):
    """redis-cli's output for one command, without its last newline ("<timeout>" if none)."""
    try:
        out = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                             text=True, timeout=CLI_TIMEOUT_S)
        return out.stdout.rstrip("\n")
    except subprocess.TimeoutExpired:
        return "<timeout>"


def redis_py_module():
    """The redis-py module (Debian's python3-redis), or None after a failure saying it is
    missing. Debian installs it for Debian's python3: another interpreter of the same version
    (a pyenv one, say) reaches it through dist-packages."""
    try:
        import redis
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            import redis
        except ImportError:
            fail("python3-redis is missing (scripts/install-deps.sh installs it)")
            return None
    return redis


def exchange(port, data, timeout=10.0, expect_bytes=None):
    """What the server replies to `data` (sent at once), and whether it closed the connection:
    read until it closes, or has `expect_bytes` bytes and then nothing more for 50 ms, or
    without `expect_bytes` has been quiet for a moment (0.3 s after a reply, 1 s when nothing
    came)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = bytearray()
        started = time.time()
        deadline = started + timeout
        while time.time() < deadline:
            enough = expect_bytes is not None and len(out) >= expect_bytes
            s.settimeout(0.05 if enough else 0.3)
            try:
                chunk = s.recv(1 << 16)
            except socket.timeout:
                if enough or (expect_bytes is None and (out or time.time() - started > 1.0)):
                    return bytes(out), False
                continue
            except ConnectionResetError:
                return bytes(out), True
            if not chunk:
                return bytes(out), True
            out += chunk
        return bytes(out), False
    finally:
        s.close()


def start_redis(port, work_dir, *extra):
    """A redis-server on `port` (loopback, no persistence), with `extra` options; it answers
    once redis_answers(port)."""
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", work_dir, *extra], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def redis_answers(port):
    """Whether a server on `port` answers at all (PONG, or NOAUTH from one with a password)."""
    try:
        return exchange(port, b"PING\r\n", timeout=2)[0] != b""
    except OSError:
        return False


def cmd(*words):
    """One request's RESP bytes."""
    out = [b"*%d\r\n" % len(words)]
    for w in words:
        w = w if isinstance(w, bytes) else str(w).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(w), w))
    return b"".join(out)


def wait_until(predicate, what, timeout=WAIT_TIMEOUT_S, interval_s=0.05):
    """Whether predicate() became true within timeout seconds. If not, and `what` is not None,
    "timed out: <what>" is a failure."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    if what is not None:
        fail(f"timed out: {what}")
    return False


def expect(what, got, expected):
    if got != expected:
        fail(f"{what}: expected {expected!r}, got {got!r}")


def expect_reply(port, args, expected):
    """redis-cli's reply to `args` is `expected`; the failure names the command."""
    expect(" ".join(args), cli(port, *args), expected)


class RespError(Exception):
    pass


class RespSet(list):
    """A RESP3 set (~): its elements."""


class RespMap(list):
    """A RESP3 map (%): its keys and values, flat, as RESP2 sends a map."""


class RespPush(list):
    """A RESP3 push (>): a Pub/Sub message or confirmation."""


class RespDouble(bytes):
    """A RESP3 double (,): its text."""


class Conn:
    """A RESP client on one socket: pipelined sends, one reply at a time. It reads RESP2, and
    RESP3 once the connection sent HELLO 3."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = bytearray()  # appended in place: a 32 MiB reply arrives in 64 KiB reads

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, *commands):
        self.sock.sendall(b"".join(self.encode(c) for c in commands))

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buf += chunk

    def _line(self):
        while (end := self.buf.find(b"\r\n")) < 0:
            self._fill()
        line = bytes(self.buf[:end])
        del self.buf[:end + 2]
        return line

    def _blob(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n + 2]
        return data

    def reply(self):
        """str for +, RespError instance for - (and !), int (and big numbers), bytes or None,
        list; of RESP3: None for _, RespDouble, bool, RespSet, RespMap, RespPush, and the
        text of a verbatim string (after its "txt:") as bytes."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        if kind in (b":", b"("):
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._blob(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        if kind == b"_":
            return None
        if kind == b",":
            return RespDouble(rest)
        if kind == b"#":
            return rest == b"t"
        if kind == b"!":
            return RespError(self._blob(int(rest)).decode(errors="replace"))
        if kind == b"=":
            return self._blob(int(rest))[4:]
        if kind in (b"~", b">"):
            items = [self.reply() for _ in range(int(rest))]
            return RespSet(items) if kind == b"~" else RespPush(items)
        if kind == b"%":
            return RespMap(self.reply() for _ in range(2 * int(rest)))
        if kind == b"|":  # attributes: read and dropped, then the reply they annotate
            for _ in range(2 * int(rest)):
                self.reply()
            return self.reply()
        raise ValueError(f"bad reply line {line[:80]!r}")

    def call(self, *args):
        self.send(args)
        return self.reply()

    def raw_reply(self):
        """One reply's bytes exactly as the server sent them (an array with its elements)."""
        seen = bytearray(self.buf)  # what the buffer holds, and below what parsing reads
        fill = self._fill

        def tapped_fill():
            n = len(self.buf)
            fill()
            seen.extend(self.buf[n:])
        self._fill = tapped_fill
        try:
            self.reply()
        finally:
            del self._fill  # the class's method again
        return bytes(seen[:len(seen) - len(self.buf)])

    def raw_call(self, *args):
        self.send(args)
        return self.raw_reply()

    def close(self):
        self.sock.close()


def ping(port, timeout=2.0):
    """Whether a server on `port` answers PING within `timeout` seconds: PONG, or NOAUTH from
    one that wants a password first."""
    try:
        c = Conn(port, timeout=timeout)
        try:
            r = c.call("PING")
            return r == "PONG" or (isinstance(r, RespError) and str(r).startswith("NOAUTH"))
        finally:
            c.close()
    except (OSError, ValueError):
        return False


def info(port, section=None):
    """INFO's fields (of `section`, or the default sections) as a dict of strings. Raises
    OSError if the server cannot be reached, ValueError if its reply is not INFO's text."""
    c = Conn(port)
    try:
        reply = c.call("INFO", *([section] if section else []))
    finally:
        c.close()
    if not isinstance(reply, bytes):
        raise ValueError(f"INFO replied {reply!r}")
    out = {}
    for line in reply.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


def info_field(port, name, section=None):
    """One INFO field, or None if it is absent or the server does not answer."""
    try:
        return info(port, section).get(name)
    except (OSError, ValueError):
        return None


def peer_list(peer_ports):
    """--peers's value for {replica id: peer port} on loopback."""
    return ",".join(f"{i}@127.0.0.1:{p}" for i, p in peer_ports.items())


class Replica:
    """One calm-kvs process. Options: --port and --peer-port (free ports unless given), --data,
    then --id, --peers and --gossip-ms when given, then `extra`. Its stderr (and stdout too,
    with log_stdout) is appended to the file `log`, or discarded without one; `env` adds to
    this process's environment; preexec_fn and pass_fds go to subprocess.Popen."""

    def __init__(self, binary, data, port=None, peer_port=None, *, rid=None, peers=None,
                 gossip_ms=None, extra=(), log=None, log_stdout=False, env=None,
                 preexec_fn=None, pass_fds=()):
        if port is None:
            port, peer_port = free_ports(2)
        self.port, self.peer_port, self.data = port, peer_port, data
        self.args = [binary, "--port", str(port), "--peer-port", str(peer_port), "--data", data]
        if rid is not None:
            self.args += ["--id", str(rid)]
        if peers is not None:
            self.args += ["--peers", peers]
        if gossip_ms is not None:
            self.args += ["--gossip-ms", str(gossip_ms)]
        self.args += [str(a) for a in extra]
        self.log_path = log
        self.log_stdout = log_stdout
        self.env = None if env is None else {**os.environ, **env}
        self.preexec_fn = preexec_fn
        self.pass_fds = tuple(pass_fds)
        self.proc = None

    def launch(self):
        """Starts the process and returns at once."""
        if self.log_path is None:
            self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, env=self.env,
                                         preexec_fn=self.preexec_fn, pass_fds=self.pass_fds)
            return
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log if self.log_stdout else subprocess.DEVNULL, stderr=log,
                env=self.env, preexec_fn=self.preexec_fn, pass_fds=self.pass_fds)

    def wait_answering(self, timeout=START_TIMEOUT_S):
        """Whether it answers PING within `timeout` seconds (False as soon as it exits)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if ping(self.port):
                return True
            time.sleep(0.05)
        return False

    def start(self):
        """Starts it and waits until it answers PING (True); if it does not, the failure is
        "timed out: replica on PORT answers"."""
        self.launch()
        if self.wait_answering():
            return True
        fail(f"timed out: replica on {self.port} answers")
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self):
        """SIGTERM, then SIGKILL if it has not exited within 10 s."""
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def exit_and_log(self, timeout=10):
        """(exit code, the whole log) once it exits by itself within `timeout` seconds, else
        (None, "") after stopping it."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return None, ""
        return self.proc.returncode, self.log_tail(None)

    def log_tail(self, n=2000):
        """The last n bytes of the log (all of it for None), as text; "" without one."""
        if self.log_path is None:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read()
        except OSError:
            return ""
        return (text if n is None else text[-n:]).decode(errors="replace")


def cluster(binary, directory, n, extra=None, gossip_ms=20):
    """n replicas, ids 1..n, started, with empty data directories DIRECTORY/r1..rn; `extra`
    maps an id to more arguments."""
    ports = free_ports(2 * n)
    peers = peer_list({i + 1: ports[n + i] for i in range(n)})
    out = []
    for i in range(n):
        data = os.path.join(directory, f"r{i + 1}")
        shutil.rmtree(data, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)
        r = Replica(binary, data, ports[i], ports[n + i], rid=i + 1, peers=peers,
                    gossip_ms=gossip_ms, extra=(extra or {}).get(i + 1, ()))
        r.start()
        out.append(r)
    return out
