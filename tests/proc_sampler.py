"""A thread that reads the argv and environment of every descendant of this process.

psutil reads them (on Linux from /proc/<pid>/cmdline and /proc/<pid>/environ, proc(5)). A
process of the same user is readable; one that exits between listing and reading is
skipped.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil


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


def descendants(root: int) -> list[psutil.Process]:
    """Every process below `root` now (none if `root` has gone)."""
    try:
        return psutil.Process(root).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def read(process: psutil.Process) -> Seen | None:
    """Its argv and environment; None once it has gone (or is a zombie, argv empty)."""
    try:
        with process.oneshot():
            argv, env = process.cmdline(), process.environ()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    words = [a for a in argv if a]
    return Seen(process.pid, words, env) if words else None


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
            for process in descendants(self.root):
                got = read(process)
                if got is not None:
                    self.seen.setdefault((got.pid, tuple(got.argv)), got)
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
