"""A free loopback port, for the tests that start a server of their own."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on (asked of the system, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
