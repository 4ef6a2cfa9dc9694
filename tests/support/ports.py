"""Helpers shared by the tests that start calm processes on loopback."""
import random
import socket


_handed_out = set()  # not twice to this process's servers
_rng = random.SystemRandom()  # not the tests' seeded generator: their runs stay the same


def _ephemeral_first():
    """The first port the kernel hands out for outgoing connections and port 0."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(n, avoid=()):
    """n distinct TCP ports free on 127.0.0.1 right now, for servers started soon after, none
    in `avoid` (ports another process of the same run was handed).

    Drawn at random below the ephemeral range: a port the kernel chose (port 0) is one it may
    give the next outgoing connection of any process (tests run side by side), which then takes
    it before the server binds it ("Address already in use"). Each is bound while the others
    are drawn, so the n differ; falls back to the kernel's choice when the range leaves too
    little room below it."""
    lowest, first = 10000, _ephemeral_first()
    sockets = []
    try:
        for _ in range(64 * n):
            if len(sockets) == n or first <= lowest + 1000:
                break
            port = _rng.randrange(lowest, first)
            if port in _handed_out or port in avoid:
                continue
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            _handed_out.add(port)
            sockets.append(s)
        while len(sockets) < n:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
