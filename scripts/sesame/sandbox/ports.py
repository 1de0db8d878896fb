"""Loopback ports for the stand-ins: stable across runs when free, so terraform init is not
re-run each time, chosen below the kernel's ephemeral range, one per stand-in, and chosen
again when another program takes one between the choice and the bind."""

from __future__ import annotations

import contextlib
import errno
import json
import random
import socket
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from sesame.errors import FatalError

T = TypeVar("T")
BIND_ATTEMPTS = 5

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


def free_port(taken: Collection[int] = ()) -> int:
    """A free port below the kernel's ephemeral range and not in `taken`: an outgoing
    connection (terraform, a provider) can take an ephemeral port between our choosing it
    and a server binding it (seen in CI: "Address already in use"); it never takes one
    outside that range."""
    low = _ephemeral_low()
    candidates = range(max(1024, low - 12000), low)
    for _ in range(200):
        port = random.choice(candidates)
        if port not in taken and port_free(port):
            return port
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in taken:
            return port
    raise FatalError("no free loopback port for the sandbox: stop other sandboxes and retry")


def choose(ports_file: Path) -> dict[str, int]:
    """One distinct port per stand-in (`NAMES`): the saved one when still free and not
    already given to another stand-in, else a new one. `save` them once the servers run."""
    saved: dict[str, int] = {}
    with contextlib.suppress(FileNotFoundError, ValueError, TypeError):
        saved = dict(json.loads(ports_file.read_text()))
    ports: dict[str, int] = {}
    for name in NAMES:
        port = saved.get(name)
        fits = isinstance(port, int) and port not in ports.values() and port_free(port)
        ports[name] = port if fits else free_port(taken=ports.values())  # type: ignore[assignment]
    return ports


def serve(name: str, ports: dict[str, int], start: Callable[[int], T]) -> T:
    """`start(port)` on the stand-in's port; when another program bound that port since it
    was chosen (EADDRINUSE), on a new distinct one, recorded in `ports`. Raises FatalError
    after BIND_ATTEMPTS ports in use, and any other OSError as it is."""
    for attempt in range(BIND_ATTEMPTS):
        try:
            return start(ports[name])
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            if attempt == BIND_ATTEMPTS - 1:
                raise FatalError(
                    f"sandbox: {BIND_ATTEMPTS} loopback ports for {name} were taken by other "
                    "programs as they were chosen: stop other sandboxes and retry"
                ) from exc
            ports[name] = free_port(taken=ports.values())
    raise AssertionError("unreachable")


def save(ports_file: Path, ports: dict[str, int]) -> None:
    """Keep the ports the stand-ins run on, for the next command to ask for again."""
    ports_file.write_text(json.dumps(ports))
