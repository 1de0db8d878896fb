"""All user-facing output goes through here (pre-commit's output.py shape)."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

# One clock for every progress line a command prints, from the moment sesame starts.
_STARTED = time.monotonic()
_steps = False


def write_line(text: str = "", stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(text + "\n")
    stream.flush()


def shown_path(path: os.PathLike[str] | str) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return os.fspath(path) if relative.startswith("..") else relative


_captured = threading.local()  # a thread's held-back progress (one shard of several)


def status(text: str) -> None:
    """Progress and diagnostics: stderr, so stdout stays clean for --json and exports.
    Inside `capture()` the line is kept for the calling thread instead."""
    held: list[str] | None = getattr(_captured, "lines", None)
    if held is not None:
        held.append(text)
        return
    write_line(text, sys.stderr)


def notice(text: str) -> None:
    """A progress line shown at once, even from a shard whose other lines are held back
    (a wait of minutes must not look like a hang); kept with them too."""
    held: list[str] | None = getattr(_captured, "lines", None)
    if held is not None:
        held.append(text)
    write_line(text, sys.stderr)


@contextmanager
def capture() -> Iterator[list[str]]:
    """Hold this thread's progress lines in the list it yields (shards run side by side
    print one line each; a failed one's lines are shown after it)."""
    previous = getattr(_captured, "lines", None)
    _captured.lines = []
    try:
        yield _captured.lines
    finally:
        _captured.lines = previous


def elapsed() -> str:
    """Seconds since sesame started, as every progress line shows them: `[  9.8s]`."""
    return f"[{time.monotonic() - _STARTED:5.1f}s]"


def show_steps(on: bool = True) -> None:
    """Commands that take a while (plan, apply, destroy) say what they are doing."""
    global _steps
    _steps = on


def step(text: str) -> None:
    """One progress line, `[  1.2s] text`, when the command shows its steps."""
    if _steps:
        status(f"{elapsed()} {text}")


def emit_json(obj: Any) -> None:
    write_line(json.dumps(obj, sort_keys=True))


def plain() -> bool:
    """No box, no colour: for CI, pipes and files (and whenever NO_COLOR or CI is set)."""
    return not sys.stdout.isatty() or bool(os.environ.get("CI") or os.environ.get("NO_COLOR"))


def table(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, boxed: bool | None = None
) -> str:
    """Columns sized to their content, never wrapped (values are copied from here)."""
    boxed = not plain() if boxed is None else boxed
    grid = Table(
        *header,
        box=box.SIMPLE_HEAD if boxed else None,
        header_style="bold" if boxed else "",
        show_edge=False,
        pad_edge=False,
        padding=(0, 2, 0, 0),
    )
    for row in rows:
        grid.add_row(*(Text(cell) for cell in row))  # Text: no markup in values
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=1_000_000, force_terminal=boxed, no_color=not boxed, highlight=False
    )
    console.print(grid, soft_wrap=True)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines())
