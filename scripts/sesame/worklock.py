"""One sesame command at a time per checkout and environment: an flock on the work dir.

Two commands in one checkout would share the work dir (plan file, Terraform data dir, the
sandbox's saved world and ports): the second is refused in one line naming the first.
The lock file also says who holds it (pid, host, command, since), for that line. The
kernel drops an flock when its holder dies, however it dies, so a killed command never
leaves this lock behind; the fd is not inherited by children (terraform, sops).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sesame.errors import LockedError

LOCK_FILE = "sesame.lock"


def holder_text(info: dict[str, Any]) -> str:
    what = info.get("command") or "a command"
    return f"`sesame {what}` (pid {info.get('pid', '?')}, since {info.get('since', '?')})"


def _read(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text() or "{}")
        if isinstance(data, dict):
            return data
    return {}


@contextmanager
def hold(workdir: Path, command: str, env: str) -> Iterator[None]:
    """Hold the work dir's lock for the block, or raise LockedError at once."""
    path = workdir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"another sesame command is running in this checkout ({env}): "
                f"{holder_text(_read(path))}; fix: wait for it to finish, then run this again"
            ) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the flock


def command_name() -> str:
    """The verb this process runs (`apply`, `state unlock`): for other commands' messages."""
    words = [a for a in sys.argv[1:] if not a.startswith("-")]
    return " ".join(words[:2]) if words[:1] == ["state"] else (words[0] if words else "")
