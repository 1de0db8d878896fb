"""Where the sandbox's own time goes in one command: start (ports, world restore, servers,
seed), world save, and stop, each timed in-process, N times on the example config's world
(applied once first). Prints medians; the last line is start+save+stop in seconds.

Run: .venv/bin/python bench/sandbox_phases.py [N]
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
sys.path.insert(0, str(REPO / "scripts"))

from sesame import config  # noqa: E402
from sesame.sandbox import snapshot, world  # noqa: E402
from sesame.target import workdir_for  # noqa: E402


def phases(top: Path, cfg: config.Config) -> dict[str, float]:
    sandbox = world.Sandbox(workdir_for(top, "sandbox"), cfg)
    t0 = time.perf_counter()
    sandbox.__enter__()
    t1 = time.perf_counter()
    snapshot.save(sandbox.world_file, sandbox.ses, sandbox.cloudflare)
    t2 = time.perf_counter()
    sandbox.__exit__(None, None, None)  # saves again, then stops
    t3 = time.perf_counter()
    return {"start": t1 - t0, "save": t2 - t1, "stop": (t3 - t2) - (t2 - t1)}


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    top = Path(tempfile.mkdtemp(prefix="sesame-bench-phases-"))
    try:
        shutil.copy(REPO / "sesame.yaml", top / "sesame.yaml")
        subprocess.run(
            [sys.executable, "-m", "sesame", "apply"], cwd=top, check=True, capture_output=True
        )
        cfg = config.load(top / "sesame.yaml")
        size = (workdir_for(top, "sandbox") / "sandbox-world.age").stat().st_size
        samples = [phases(top, cfg) for _ in range(runs)]
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(f"sandbox phases, example config's world ({size / 1024:.0f} KiB), {runs} runs")
    total = 0.0
    for name in ("start", "save", "stop"):
        value = statistics.median(s[name] for s in samples)
        total += value
        print(f"  {name:6s} median {value:6.3f}s")
    print(f"{total:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
