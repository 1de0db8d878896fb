"""The suite's own machinery: `make test` keeps the tests that share a world together."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from testing import REPO

SHARED = """
import os, pytest

@pytest.fixture(scope="module")
def world():
    return os.environ["PYTEST_XDIST_WORKER"]

@pytest.mark.parametrize("c", ["make apply", "make plan ENV=production", 'x ARGS="--a b"', "a"])
def test_shared(world, c):
    with open(os.environ["RAN_LOG"], "a") as log:
        log.write(os.environ["PYTEST_XDIST_WORKER"] + " " + world + "\\n")
"""


def test_tests_sharing_a_module_world_run_on_one_worker(tmp_path: Path) -> None:
    """`--dist loadgroup` with the suite's conftest: a file's tests that share a module-scoped
    fixture go to one worker, which sets the fixture up once (found: with pytest 9 the group
    was ignored and three workers each applied the README's world, 200 s apiece)."""
    (tmp_path / "conftest.py").write_text((REPO / "tests/conftest.py").read_text())
    (tmp_path / "testing.py").write_text((REPO / "tests/testing.py").read_text())
    (tmp_path / "test_shared.py").write_text(SHARED)
    (tmp_path / "test_alone.py").write_text("def test_a(): pass\ndef test_b(): pass\n")
    log = tmp_path / "ran.log"
    argv = ["-q", "-n", "3", "--dist", "loadgroup", "-p", "no:cacheprovider"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *argv, "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RAN_LOG": str(log)},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    ran = [tuple(line.split()) for line in log.read_text().splitlines()]
    assert len(ran) == 4, proc.stdout[-3000:]
    assert len(set(ran)) == 1, ran  # one worker ran them all, on the one world it set up
