"""All user-facing output goes through here (pre-commit's output.py shape)."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


def write_line(text: str = "", stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(text + "\n")
    stream.flush()


def status(text: str) -> None:
    """Progress and diagnostics: stderr, so stdout stays clean for --json and exports."""
    write_line(text, sys.stderr)


def emit_json(obj: Any) -> None:
    write_line(json.dumps(obj, sort_keys=True))
