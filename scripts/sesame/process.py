"""Every child process sesame starts (terraform, sops, go) goes through here.

Argv only (no shell), secrets only through the environment or stdin, an environment
scrubbed of what the child must not inherit, and secret values masked in any of the
child's words sesame shows. Captured (`cmd_output`) or line by line (`stream`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class PipedFile:
    """The read end of a pipe, which a child opens as a file at `path` (pass `fd` in
    `pass_fds`); see `piped_file`."""

    fd: int

    @property
    def path(self) -> str:
        return f"/dev/fd/{self.fd}"


def _write_all(fd: int, data: bytes) -> None:
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BrokenPipeError:  # the child exited without reading it all
        pass


@contextmanager
def piped_file(data: bytes) -> Iterator[PipedFile]:
    """`data` for a child to read once as a file, through a pipe it inherits: never on
    disk, in argv or in an environment (which every grandchild would inherit).

    A thread writes (a pipe holds 64 KiB, proc(5) pipe-max-size); the write end is closed
    when all is written, so the reader sees end of file. Linux exposes inherited
    descriptors as /dev/fd/N (proc(5))."""
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=_write_all, args=(write_end, data), daemon=True)
    writer.start()
    try:
        yield PipedFile(read_end)
    finally:
        os.close(read_end)  # a writer still blocked gets EPIPE and stops
        writer.join()


def _not_found(argv: Sequence[str], fix: str | None) -> FatalError:
    return FatalError(f"{argv[0]}: not found; fix: {fix or 'run `make setup`'}")


def cmd_output(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    missing_fix: str | None = None,
    pass_fds: Sequence[int] = (),
) -> subprocess.CompletedProcess[bytes]:
    """Run `argv`, capture stdout/stderr; a missing executable is a FatalError, not a
    traceback. `pass_fds`: descriptors the child inherits (`piped_file`)."""
    try:
        return subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            check=False,
            pass_fds=tuple(pass_fds),
        )
    except FileNotFoundError:
        raise _not_found(argv, missing_fix) from None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) reached a child, which then stopped: the message says how."""


# What each further Ctrl-C sends the child's process group: the first asks it to stop
# gracefully (Terraform finishes what is in flight and writes state), the second makes
# Terraform stop at once, any later one kills the group.
_ESCALATION = (signal.SIGINT, signal.SIGINT, signal.SIGKILL)
GRACE_SECONDS = 10  # after the child exits, how long its group's stragglers get


def _signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to a process group; False when the group has no process left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def reap_group(pgid: int, grace: float = GRACE_SECONDS) -> None:
    """No process of the group outlives its leader (providers a stopped terraform left):
    SIGTERM, then SIGKILL for whatever is left after `grace` seconds."""
    if not _signal_group(pgid, 0):
        return
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _signal_group(pgid, 0):
            return
        time.sleep(0.1)
    _signal_group(pgid, signal.SIGKILL)


INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


def receive_interrupts() -> None:
    """Unblock SIGINT and SIGTERM in this thread (and the threads and children it makes):
    a sesame started with them blocked (a mask is inherited through fork and exec) would
    otherwise never see Ctrl-C or a CI runner's cancel, and finish the apply instead of
    stopping."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPTS)


@contextmanager
def _forward_interrupts(proc: subprocess.Popen[str], notice: str) -> Iterator[list[int]]:
    """While the child runs, SIGINT/SIGTERM to sesame go to the child's process group (its
    own, so a terminal's Ctrl-C does not hit it twice); sesame waits for it to stop."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def forward(signum: int, _frame: Any) -> None:
        step = _ESCALATION[min(len(received), len(_ESCALATION) - 1)]
        received.append(signum)
        if len(received) == 1:
            sys.stderr.write(f"sesame: interrupted; {notice} (Ctrl-C again to stop at once)\n")
        elif step == signal.SIGKILL:
            sys.stderr.write("sesame: interrupted again; killing the child process group\n")
        _signal_group(proc.pid, step)

    previous = {s: signal.signal(s, forward) for s in INTERRUPTS}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def stream(
    argv: Sequence[str],
    on_line: Callable[[str], None],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    lines_from: str = "stdout",
    missing_fix: str | None = None,
    on_start: Callable[[int], None] | None = None,
    interrupt_notice: str = "waiting for the child process to stop",
    pass_fds: Sequence[int] = (),
) -> tuple[int, str]:
    """Run `argv` in its own process group, calling `on_line` with each line of
    `lines_from` (stdout or stderr) as it comes; returns the exit status and the other
    stream (stdout is dropped when streaming stderr).

    Ctrl-C is forwarded to the child and waited for (see `_forward_interrupts`); then the
    group is reaped and `Interrupted` raised, so nothing runs on while sesame unwinds.
    `pass_fds`: descriptors the child inherits (`piped_file`)."""
    # The child inherits this thread's signal mask: one that blocks SIGINT (inherited, or
    # left by a library) would make it deaf to the forwarded Ctrl-C, and sesame would wait
    # out the child instead (measured: a test worker with SIGINT blocked waited 300 s).
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPTS)
    try:
        return _stream(
            argv, on_line, env, cwd, lines_from, missing_fix, on_start, interrupt_notice, pass_fds
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _stream(
    argv: Sequence[str],
    on_line: Callable[[str], None],
    env: Mapping[str, str] | None,
    cwd: Path | None,
    lines_from: str,
    missing_fix: str | None,
    on_start: Callable[[int], None] | None,
    interrupt_notice: str,
    pass_fds: Sequence[int],
) -> tuple[int, str]:
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
            process_group=0,
            pass_fds=tuple(pass_fds),
        )
    except FileNotFoundError:
        raise _not_found(argv, missing_fix) from None
    try:
        with _forward_interrupts(proc, interrupt_notice) as received:
            if on_start is not None:
                on_start(proc.pid)
            lines = proc.stdout if lines_from == "stdout" else proc.stderr
            assert lines is not None
            for line in lines:
                on_line(line)
            rest = proc.stderr.read() if lines_from == "stdout" and proc.stderr else ""
            rc = proc.wait()
    finally:
        if proc.poll() is None:  # sesame itself failed mid-stream: stop the child too
            _signal_group(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
        reap_group(proc.pid)
    if received:
        raise Interrupted(f"{argv[0]} stopped (exit status {rc})")
    return rc, rest
