"""Where the sandbox's own time goes in one command: start (ports, world restore, servers,
seed), world save, and stop, each timed in-process, N times on the example config's world
(applied once first). Prints medians; the last line is start+save+stop in seconds.

Run: .venv/bin/python bench/sandbox_phases.py [N]
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from example import applied_example, runs

from sesame import config
from sesame.sandbox import snapshot, world
from sesame.target import workdir_for


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
    n = runs()
    with applied_example("sesame-bench-phases-", destroy=False) as (top, cfg):
        size = (workdir_for(top, "sandbox") / "sandbox-world.age").stat().st_size
        samples = [phases(top, cfg) for _ in range(n)]
    print(f"sandbox phases, example config's world ({size / 1024:.0f} KiB), {n} runs")
    total = 0.0
    for name in ("start", "save", "stop"):
        value = statistics.median(s[name] for s in samples)
        total += value
        print(f"  {name:6s} median {value:6.3f}s")
    print(f"{total:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
