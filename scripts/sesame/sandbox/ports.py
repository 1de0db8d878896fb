"""Loopback ports for the stand-ins: stable across runs when free, so terraform init is not
re-run each time, and chosen below the kernel's ephemeral range."""

from __future__ import annotations

import contextlib
import json
import random
import socket
from pathlib import Path

NAMES = ("moto", "r2", "sesv2", "cloudflare", "dns", "smtp")


def port_free(port: int) -> bool:
    """Free for a server: like the servers, ignore a previous run's TIME_WAIT connections."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ephemeral_low() -> int:
    with contextlib.suppress(OSError, ValueError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768


def free_port() -> int:
    """A free port below the kernel's ephemeral range: an outgoing connection (terraform,
    a provider) can take an ephemeral port between our choosing it and a server binding
    it (seen in CI: "Address already in use"); it never takes one outside that range."""
    low = _ephemeral_low()
    candidates = range(max(1024, low - 12000), low)
    for _ in range(200):
        port = random.choice(candidates)
        if port_free(port):
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def choose(ports_file: Path) -> dict[str, int]:
    """The saved port of each stand-in when still free, else a new one; saved for next time."""
    saved: dict[str, int] = {}
    with contextlib.suppress(FileNotFoundError, ValueError):
        saved = json.loads(ports_file.read_text())
    ports = {}
    for name in NAMES:
        port = saved.get(name)
        ports[name] = port if port and port_free(port) else free_port()
    ports_file.write_text(json.dumps(ports))
    return ports
