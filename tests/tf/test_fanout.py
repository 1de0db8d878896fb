"""sesame.tf.fanout with real child processes: Ctrl-C (or a CI runner's SIGTERM) during
parallel shards reaches every running child exactly once, lets each save, starts nothing
more, and ends the run interrupted, even when Python drops the KeyboardInterrupt.

The whole command path (real terraform per shard) is tests/commands/test_interrupt.py."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from sesame import output, process
from sesame.errors import FatalError
from sesame.tf import fanout
from testing import STAND_IN_TERRAFORM


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupt_during_parallel_shards_stops_each_running_child_once_and_starts_no_more(
    sig: int,
) -> None:
    lines: dict[str, list[str]] = {"a": [], "b": [], "c": []}
    up = threading.Barrier(2, action=lambda: os.kill(os.getpid(), sig))
    # Python's handlers, or SIG_IGN when started in the background without job control
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def work(shard: str) -> int:
        def on_line(line: str) -> None:
            lines[shard].append(line.strip())
            if line.startswith("provider") and shard in "ab":
                up.wait(timeout=30)  # both running: interrupt sesame (this process)

        rc, _ = process.stream([sys.executable, "-c", STAND_IN_TERRAFORM], on_line)
        return rc

    with process.interrupts(), pytest.raises(process.Interrupted, match="exit status 1"):
        fanout.run(["a", "b", "c"], work, str, parallelism=2)
    assert lines["a"][1:] == lines["b"][1:] == ["stopping gracefully", "state saved"]
    assert lines["c"] == []  # the third shard's child never started
    assert {s: signal.getsignal(s) for s in before} == before  # restored
    assert not process.interrupted()  # nothing carries over to the next scope


# Creates the file it is given: proof it was started.
TOUCH = "import pathlib, sys; pathlib.Path(sys.argv[1]).touch()"


def test_a_ctrl_c_whose_keyboardinterrupt_python_dropped_still_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen in CI: SIGINT arrived while a weakref callback ran; Python printed
    "Exception ignored … KeyboardInterrupt" and the shards applied to the end, exit 0."""
    dropped: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: dropped.append(u.exc_value))
    ran = tmp_path / "ran"

    class Finalized:
        def __del__(self) -> None:  # Ctrl-C lands while a finalizer runs
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1_000_000):
                if dropped or process.interrupted():
                    break

    with process.interrupts():
        Finalized()  # dropped at once: __del__ runs here
        assert any(isinstance(e, KeyboardInterrupt) for e in dropped)  # Python dropped it
        assert process.interrupted()
        with pytest.raises(KeyboardInterrupt):  # the next child is not started
            process.stream([sys.executable, "-c", TOUCH, str(ran)], lambda _: None)
        with pytest.raises(KeyboardInterrupt):  # nor does a command report success
            process.raise_if_interrupted()
    assert not ran.exists()


def test_a_failed_shards_held_lines_are_shown_only_when_it_had_any(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def work(shard: str) -> None:
        if shard == "talked":
            output.status("preflight: reading state ...")
        raise FatalError(f"{shard} cannot reach the state bucket")

    with pytest.raises(FatalError):
        fanout.run(["quiet", "talked"], work, str, parallelism=1)
    err = capsys.readouterr().err
    assert "--- shard talked: its last progress lines ---\npreflight: reading state ..." in err
    assert "--- shard quiet" not in err  # failed before a line: its one-line error says it all
    assert "shard quiet: FAILED: quiet cannot reach the state bucket" in err
