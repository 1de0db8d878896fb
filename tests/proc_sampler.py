"""A thread that reads the argv and environment of every descendant of this process.

Linux only: /proc/<pid>/stat gives each process's parent (field 4), /proc/<pid>/cmdline
its argv and /proc/<pid>/environ the environment it was started with (proc(5)). A process
of the same user is readable; one that exits between listing and reading is skipped.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


@dataclass
class Seen:
    """One process as the sampler first saw it: its argv words and environment entries."""

    pid: int
    argv: list[str]
    environ: dict[str, str]

    @property
    def name(self) -> str:
        """The executable's base name, or `python -m <module>` for a Python module."""
        if len(self.argv) > 2 and self.argv[1] == "-m":
            return f"python -m {self.argv[2]}"
        return Path(self.argv[0]).name if self.argv else "?"


def _parents() -> dict[int, int]:
    found: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces or parentheses
        found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    out: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def read(pid: int) -> Seen | None:
    try:
        argv = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
        raw = (PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return None
    env = dict(e.decode(errors="replace").partition("=")[::2] for e in raw if b"=" in e)
    words = [a.decode(errors="replace") for a in argv if a]
    return Seen(pid, words, env) if words else None  # a zombie's cmdline is empty


@dataclass
class Sampler:
    """Samples every `interval` seconds until stopped; `seen` holds each (pid, argv) once
    (a process that execs keeps its pid but shows a new argv and environment)."""

    root: int = field(default_factory=os.getpid)
    interval: float = 0.05
    seen: dict[tuple[int, tuple[str, ...]], Seen] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in descendants(self.root):
                got = read(pid)
                if got is not None:
                    self.seen.setdefault((pid, tuple(got.argv)), got)
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def holders(self, value: str) -> list[tuple[str, str]]:
        """(process name, where) for each process whose argv or environ holds `value`;
        `where` is "argv" or the environment variable's name."""
        out = []
        for p in self.seen.values():
            if any(value in a for a in p.argv):
                out.append((p.name, "argv"))
            out += [(p.name, k) for k, v in p.environ.items() if value in v]
        return sorted(set(out))
