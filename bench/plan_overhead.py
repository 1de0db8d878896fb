"""How much sesame adds to a no-change plan: `sesame plan` time / raw `terraform plan` time.

Applies the example configuration in a temp dir's sandbox, then alternates N times:
  - `sesame plan` end to end (CLI start, sandbox start/stop, sops, init check, plan);
  - raw `terraform plan` on the same root, data dir, backend and variables, with the
    sandbox held open (so raw terraform gets its stand-ins for free).
Prints each median; the last line is the ratio sesame/raw alone.
Run: .venv/bin/python bench/plan_overhead.py [N]
"""

from __future__ import annotations

import statistics
from pathlib import Path

from example import applied_example, median_line, raw_plan, runs, sesame

from sesame import config
from sesame.environments import open_target
from sesame.tf import runner


def raw_terraform_plan(top: Path, cfg: config.Config) -> float:
    with open_target("sandbox", cfg, top) as target:
        return raw_plan(runner.prepare(cfg, target))


def main() -> int:
    n = runs()
    with applied_example("sesame-bench-") as (top, cfg):
        ours, raw = [], []
        for _ in range(n):
            ours.append(sesame(top, "plan"))
            raw.append(raw_terraform_plan(top, cfg))
    o, r = statistics.median(ours), statistics.median(raw)
    print(f"no-change plan, example config (2 domains, 3 senders), {n} runs each")
    print(median_line("sesame plan       ", ours))
    print(median_line("raw terraform plan", raw))
    print("ratio sesame/raw (last line):")
    print(f"{o / r:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
