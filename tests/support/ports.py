"""Helpers shared by the tests that start calm processes on loopback."""
import socket


def free_ports(n):
    """n distinct TCP ports free on 127.0.0.1 right now (bound at once, then released)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports
