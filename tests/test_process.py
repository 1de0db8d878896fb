"""sesame.process.stream with a real child: what Ctrl-C does to a running terraform."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sesame import process

# A child that, like terraform on SIGINT, keeps talking while it stops and then writes its
# state: here it prints three lines, then writes `done` (the state written, the lock released).
CHILD = """
import sys, time
for n in range(3):
    print(n, flush=True)
    time.sleep(0.1)
open(sys.argv[1], "w").write("done")
"""


def test_ctrl_c_waits_for_the_child_to_stop_before_sesame_does(tmp_path: Path) -> None:
    """Ctrl-C reaches terraform and sesame alike: sesame must not exit (stopping the sandbox,
    saving a world with the lock held) while terraform is still writing its state."""
    marker = tmp_path / "state-written"
    seen: list[str] = []

    def on_line(line: str) -> None:
        seen.append(line.strip())
        if len(seen) == 1:
            raise KeyboardInterrupt  # the Ctrl-C, arriving while the first line is shown

    with pytest.raises(KeyboardInterrupt):
        process.stream([sys.executable, "-c", CHILD, str(marker)], on_line)
    assert marker.read_text() == "done"  # the child finished its own stop first
    assert seen == ["0", "1", "2"]  # and what it said while stopping was shown
