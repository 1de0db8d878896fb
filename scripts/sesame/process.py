"""The one way sesame runs a child process: argv only, secrets only through env or stdin."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from sesame.errors import FatalError


def cmd_output(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `argv`, capture stdout/stderr; a missing executable is a FatalError, not a traceback."""
    try:
        return subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            check=False,
        )
    except FileNotFoundError:
        raise FatalError(f"{argv[0]}: not found; fix: run `make setup`") from None
