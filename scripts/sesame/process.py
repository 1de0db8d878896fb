"""Every child process sesame starts (terraform, sops, go) goes through here.

Argv only (no shell), secrets only through the environment or stdin, an environment
scrubbed of what the child must not inherit, and secret values masked in any of the
child's words sesame shows. Captured (`cmd_output`) or line by line (`stream`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from sesame.errors import FatalError

MASK = "********"


def environment(
    *, drop: Iterable[str] = (), drop_prefixes: tuple[str, ...] = (), **add: str
) -> dict[str, str]:
    """This process's environment without `drop` and `drop_prefixes`, plus `add`."""
    dropped = set(drop)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in dropped and not (drop_prefixes and k.startswith(drop_prefixes))
    }
    env.update(add)
    return env


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced, longest first (one may contain another)."""
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def _not_found(argv: Sequence[str], fix: str | None) -> FatalError:
    return FatalError(f"{argv[0]}: not found; fix: {fix or 'run `make setup`'}")


def cmd_output(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    missing_fix: str | None = None,
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
        raise _not_found(argv, missing_fix) from None


def stream(
    argv: Sequence[str],
    on_line: Callable[[str], None],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    lines_from: str = "stdout",
    missing_fix: str | None = None,
) -> tuple[int, str]:
    """Run `argv`, calling `on_line` with each line of `lines_from` (stdout or stderr) as it
    comes; returns the exit status and the other stream (stdout is dropped when streaming
    stderr)."""
    streamed = subprocess.PIPE
    other = subprocess.PIPE if lines_from == "stdout" else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=streamed if lines_from == "stdout" else other,
            stderr=other if lines_from == "stdout" else streamed,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    except FileNotFoundError:
        raise _not_found(argv, missing_fix) from None
    lines = proc.stdout if lines_from == "stdout" else proc.stderr
    assert lines is not None
    try:
        for line in lines:
            on_line(line)
    except KeyboardInterrupt:
        _let_it_stop(proc, lines, on_line)
        raise
    rest = proc.stderr.read() if lines_from == "stdout" and proc.stderr else ""
    return proc.wait(), rest


def _let_it_stop(
    proc: subprocess.Popen[str], lines: Iterable[str], on_line: Callable[[str], None]
) -> None:
    """Ctrl-C reached the child too (one foreground process group): wait for its own graceful
    stop (terraform finishes the running steps, writes its state, releases its lock), showing
    what it says; never signal it again (a second SIGINT makes terraform exit at once). A
    second Ctrl-C stops waiting and kills it."""
    try:
        for line in lines:
            on_line(line)
        proc.wait()
    except KeyboardInterrupt:
        proc.kill()
        proc.wait()
