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


class _Interrupts:
    """What this process's interrupt handler knows: the SIGINT/SIGTERMs received in the
    current scope (in order) and the streamed children running now, in any thread (process
    group id → what sesame says while waiting for it)."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.children: dict[int, str] = {}
        # Children no first SIGINT was sent to yet: whoever pops one (the handler, or the
        # stream that registered it after an interrupt) sends it, so it goes exactly once
        # (a second SIGINT makes Terraform stop at once, without saving).
        self.unsignalled: dict[int, bool] = {}
        self.starting = 0  # streams between "start it" and "registered" (they forward late)
        self.depth = 0
        self.lock = threading.Lock()  # for the streams' counting; never taken by the handler

    def starts(self, by: int) -> None:
        with self.lock:
            self.starting += by


_interrupts = _Interrupts()


def _on_interrupt(signum: int, _frame: Any) -> None:
    """Record the interrupt; pass it to every running streamed child's process group (the
    escalation step for the how-manyth it is) and let them stop on their own terms, or,
    when no child runs, raise KeyboardInterrupt where the main thread is.

    Not raising while children run matters: a KeyboardInterrupt raised inside a finalizer
    or weakref callback is printed and dropped by Python (seen in CI: a Ctrl-C during
    parallel shard applies was lost that way and every shard applied to the end, exit 0).
    The record is what `interrupted` reads, so even a dropped exception stops the run."""
    count = len(_interrupts.received)
    _interrupts.received.append(signum)
    groups = list(_interrupts.children.items())
    if not groups:
        if _interrupts.starting:  # the starting stream passes it on once registered
            return
        raise KeyboardInterrupt
    step = _ESCALATION[min(count, len(_ESCALATION) - 1)]
    if count == 0:
        notice = groups[0][1] + (f" ({len(groups)} at once)" if len(groups) > 1 else "")
        sys.stderr.write(f"sesame: interrupted; {notice} (Ctrl-C again to stop at once)\n")
    elif step == signal.SIGKILL:
        sys.stderr.write("sesame: interrupted again; killing the child process groups\n")
    for pgid, _ in groups:
        if _interrupts.unsignalled.pop(pgid, False) or count:
            _signal_group(pgid, step)


def receive_interrupts() -> None:
    """Unblock SIGINT and SIGTERM in this thread (and the threads and children it makes):
    a sesame started with them blocked (a mask is inherited through fork and exec) would
    otherwise never see Ctrl-C or a CI runner's cancel, and finish the apply instead of
    stopping."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPTS)


@contextmanager
def interrupts() -> Iterator[None]:
    """A scope in which SIGINT and SIGTERM are handled by `_on_interrupt` (the previous
    handlers come back after). Entered by the main thread (a whole command, or one
    `stream`); nested scopes share the outermost's record; elsewhere it does nothing (only
    the main thread may set handlers, and it is the one Python delivers signals to)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _interrupts.depth:
        _interrupts.depth += 1
        try:
            yield
        finally:
            _interrupts.depth -= 1
        return
    _interrupts.received.clear()
    previous = {s: signal.signal(s, _on_interrupt) for s in INTERRUPTS}
    _interrupts.depth = 1
    try:
        yield
    finally:
        _interrupts.depth = 0
        _interrupts.received.clear()  # outside a scope nothing is recorded
        for s, handler in previous.items():
            signal.signal(s, handler)


def interrupted() -> bool:
    """Whether an interrupt arrived in the current scope (even one whose KeyboardInterrupt
    Python dropped)."""
    return bool(_interrupts.received)


def raise_if_interrupted() -> None:
    """KeyboardInterrupt if an interrupt arrived in the current scope: called where work is
    about to start or a command is about to report success."""
    if _interrupts.received:
        raise KeyboardInterrupt


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

    Ctrl-C is forwarded to the child and waited for (see `_on_interrupt`; from any thread
    when the main thread is in an `interrupts` scope); then the group is reaped and
    `Interrupted` raised, so nothing runs on while sesame unwinds. Nothing is started once
    an interrupt has come (KeyboardInterrupt).
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
    raise_if_interrupted()  # an interrupt already came: start nothing new
    streamed = subprocess.PIPE
    other = subprocess.PIPE if lines_from == "stdout" else subprocess.DEVNULL
    with interrupts():
        before = len(_interrupts.received)
        _interrupts.starts(1)
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
        except BaseException as exc:
            _interrupts.starts(-1)
            if isinstance(exc, FileNotFoundError):
                raise _not_found(argv, missing_fix) from None
            raise
        try:
            _interrupts.unsignalled[proc.pid] = True
            _interrupts.children[proc.pid] = interrupt_notice
            _interrupts.starts(-1)
            came = len(_interrupts.received) > before  # while the child was starting
            if came and _interrupts.unsignalled.pop(proc.pid, False):
                _signal_group(proc.pid, signal.SIGINT)
            if on_start is not None:
                on_start(proc.pid)
            lines = proc.stdout if lines_from == "stdout" else proc.stderr
            assert lines is not None
            for line in lines:
                on_line(line)
            rest = proc.stderr.read() if lines_from == "stdout" and proc.stderr else ""
            rc = proc.wait()
        finally:
            _interrupts.children.pop(proc.pid, None)
            _interrupts.unsignalled.pop(proc.pid, None)
            if proc.poll() is None:  # sesame itself failed mid-stream: stop the child too
                _signal_group(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    _signal_group(proc.pid, signal.SIGKILL)
                    proc.wait()
            reap_group(proc.pid)
        if len(_interrupts.received) > before:
            raise Interrupted(f"{argv[0]} stopped (exit status {rc})")
    return rc, rest
