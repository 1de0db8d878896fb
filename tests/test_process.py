"""sesame.process: Ctrl-C reaches a streamed child, which stops on its own terms, and no
process of its group outlives it."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import pytest

from sesame import process
from sesame.tf import locks
from testing import STAND_IN_TERRAFORM


def test_ctrl_c_is_forwarded_waited_for_and_the_group_reaped() -> None:
    lines: list[str] = []
    # what this process had: Python's handler, or SIG_IGN when started in the background
    # by a shell without job control (`cmd &`), which Python keeps
    before = signal.getsignal(signal.SIGINT)

    def on_line(line: str) -> None:
        lines.append(line.strip())
        if line.startswith("provider"):  # the child is up: Ctrl-C sesame (this process)
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()

    started = time.monotonic()
    with pytest.raises(process.Interrupted, match="exit status 1"):
        process.stream([sys.executable, "-c", STAND_IN_TERRAFORM], on_line)
    assert lines[1:] == ["stopping gracefully", "state saved"]  # it finished saving
    provider = int(lines[0].split()[1])
    deadline = time.monotonic() + 10  # killed with the group, not orphaned (init reaps it)
    while locks.alive(provider) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not locks.alive(provider)
    assert time.monotonic() - started < 30
    assert signal.getsignal(signal.SIGINT) is before  # restored


# Reads the piped file by its path, then reports its own argv and environment.
READER = """
import json, os, sys
with open(sys.argv[1], "rb") as fh:
    data = fh.read()
print(json.dumps({"size": len(data), "tail": data[-8:].decode(), "argv": sys.argv,
                  "env": dict(os.environ)}))
"""


@pytest.mark.parametrize("size", [16, 300_000])  # within, and beyond, a pipe's 64 KiB
def test_a_piped_file_reaches_the_child_by_path_and_never_its_argv_or_environment(
    size: int,
) -> None:
    data = b"x" * (size - 8) + b"SECRET42"
    lines: list[str] = []
    with process.piped_file(data) as piped:
        rc, _ = process.stream(
            [sys.executable, "-c", READER, piped.path],
            lines.append,
            env=process.environment(),
            pass_fds=(piped.fd,),
        )
    assert rc == 0
    seen = json.loads("".join(lines))
    assert seen["size"] == size and seen["tail"] == "SECRET42"
    assert not any("SECRET42" in a for a in seen["argv"])
    assert not any("SECRET42" in v for v in seen["env"].values())


def test_ctrl_c_is_forwarded_even_when_this_process_had_it_blocked() -> None:
    """A blocked SIGINT (a mask inherited through fork and exec, or left by a library)
    held Ctrl-C back until the child ended on its own (measured: 300 s in a test worker)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        test_ctrl_c_is_forwarded_waited_for_and_the_group_reaped()
        assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # restored
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
