"""How soon a person sees sesame working: seconds from starting `sesame plan` and
`sesame apply` to their first line on the terminal (stderr), and to the command's end.

Runs in a temp dir's sandbox with the example configuration: a first `apply` (nothing
exists yet), then N no-change `plan`s; prints each first line and the medians.
Run: .venv/bin/python bench/first_line.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def first_line(top: Path, *args: str) -> tuple[float, float, str]:
    """(seconds to the first stderr line, seconds to exit, that line)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sesame", *args],
        cwd=top,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    first = time.perf_counter() - start
    proc.stderr.read()
    if proc.wait() != 0:
        raise SystemExit(f"sesame {' '.join(args)} failed")
    return first, time.perf_counter() - start, line.rstrip()


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    top = Path(tempfile.mkdtemp(prefix="sesame-bench-"))
    try:
        shutil.copy(REPO / "sesame.yaml", top / "sesame.yaml")
        apply = first_line(top, "apply")
        plans = [first_line(top, "plan") for _ in range(runs)]
        first_line(top, "destroy")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(f"apply (first): first line after {apply[0]:.2f}s of {apply[1]:.1f}s: {apply[2]}")
    print(
        f"plan (no change, median of {runs}): first line after "
        f"{statistics.median(p[0] for p in plans):.2f}s of "
        f"{statistics.median(p[1] for p in plans):.1f}s: {plans[0][2]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
