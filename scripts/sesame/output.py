"""All user-facing output goes through here (pre-commit's output.py shape)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

# One clock for every progress line a command prints, from the moment sesame starts.
_STARTED = time.monotonic()
_steps = False


def write_line(text: str = "", stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(text + "\n")
    stream.flush()


def status(text: str) -> None:
    """Progress and diagnostics: stderr, so stdout stays clean for --json and exports."""
    write_line(text, sys.stderr)


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
