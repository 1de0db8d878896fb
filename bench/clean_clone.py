"""Time the README's two commands on a clean clone: `make setup`, then (with --test) `make test`.

    bench/clean_clone.py [--test] [--runs N]

Clones this repository's HEAD into a temp dir (what .ci/run does) and times each command
there; SESAME_PROVIDER_MIRROR is passed through (without it, `make setup` may build the
Cloudflare provider for hours). `TEST_BROWSER=` skips installing chromium, which is a
system package and installed once per machine. pip's download cache is whatever this
machine has: the figure is a warm-cache set-up, as on a developer's second clone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], cwd: Path) -> float:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    took = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed (rc {proc.returncode}):\n{proc.stderr[-2000:]}")
    return took


def one_run(test: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="sesame-clone-") as tmp:
        clone = Path(tmp) / "sesame"
        subprocess.run(["git", "clone", "-q", "--local", str(REPO), str(clone)], check=True)
        out = {"make setup": timed(["make", "setup", "TEST_BROWSER="], clone)}
        if test:
            out["make test"] = timed(["make", "test"], clone)
        return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--test", action="store_true", help="also time `make test` (20+ minutes)")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    mirror = os.environ.get("SESAME_PROVIDER_MIRROR", "(unset)")
    print(f"clean clone of {REPO} (SESAME_PROVIDER_MIRROR={mirror}), {os.cpu_count()} cores")
    runs = [one_run(args.test) for _ in range(args.runs)]
    for name in runs[0]:
        times = [r[name] for r in runs]
        each = ", ".join(f"{t:.0f}" for t in times)
        print(f"{name}: median {statistics.median(times):.0f} s of {len(times)} run(s): {each} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
