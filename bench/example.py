"""What the bench scripts share: the example configuration applied in a throwaway sandbox,
timed runs, and the median lines they print. Not a bench itself."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from sesame import config  # noqa: E402


def runs(default: int = 5) -> int:
    """N, the script's one argument."""
    return int(sys.argv[1]) if len(sys.argv) > 1 else default


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds one process takes, start to exit (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def sesame(top: Path, *args: str) -> float:
    """Seconds one `sesame ARGS` takes, end to end, in the project at `top`."""
    return timed([sys.executable, "-m", "sesame", *args], top)


@contextmanager
def applied_example(prefix: str, *, destroy: bool = True) -> Iterator[tuple[Path, config.Config]]:
    """The repository's sesame.yaml applied in a temp dir's sandbox (destroyed after, if
    asked); the dir is removed either way."""
    top = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        shutil.copy(REPO / "sesame.yaml", top / "sesame.yaml")
        sesame(top, "apply")
        yield top, config.load(top / "sesame.yaml")
        if destroy:
            sesame(top, "destroy")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def median_line(label: str, samples: list[float]) -> str:
    """`  LABEL median   1.23s  (min 1.01s)`: the median and the best run."""
    return f"  {label} median {statistics.median(samples):6.2f}s  (min {min(samples):.2f}s)"
