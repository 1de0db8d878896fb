"""The state lock's words and the rule for removing it (the real lock object, Terraform's
and sesame's messages are covered end to end in tests/commands/test_interrupt.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from sesame.tf import locks


class _Target:
    def __init__(self, name: str, data_dir: Path) -> None:
        self.name = name
        self.data_dir = data_dir


def test_lock_info_is_described_as_who_what_and_since_when_in_utc() -> None:
    info = {
        "ID": "5e5a4c1e",
        "Operation": "OperationTypeApply",
        "Who": "runner@ci-7",
        "Created": "2026-11-29T19:58:01.123456789Z",
    }
    assert (
        locks.describe(info)
        == "apply by runner@ci-7 since 2026-11-29 19:58:01 UTC (lock ID 5e5a4c1e)"
    )
    assert locks.describe({}) == "an unknown holder since an unknown time (lock ID ?)"


def test_a_lock_from_another_host_is_never_judged_gone(tmp_path: Path) -> None:
    gone, why = locks.holder_gone({"Who": "me@elsewhere"}, _Target("sandbox", tmp_path))
    assert not gone and why == "it was taken on elsewhere, not here"


def test_a_lock_whose_noted_terraform_still_runs_is_kept(tmp_path: Path) -> None:
    here = f"me@{socket.gethostname()}"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        locks.note_running(tmp_path, child.pid, "apply")
        gone, why = locks.holder_gone({"Who": here}, _Target("production", tmp_path))
        assert not gone and why == f"its terraform (pid {child.pid}) is still running"
    finally:
        child.kill()
        child.wait()
    gone, why = locks.holder_gone({"Who": here}, _Target("production", tmp_path))
    assert gone and why == f"terraform pid {child.pid} on this host has exited"
    locks.clear_running(tmp_path)
    gone, _ = locks.holder_gone({"Who": here}, _Target("production", tmp_path))
    assert not gone  # production, nothing noted here: not provably ours
    assert locks.holder_gone({"Who": here}, _Target("sandbox", tmp_path))[0]
    assert not locks.alive(child.pid) and locks.alive(os.getpid())
