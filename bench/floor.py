"""The start-up floor of a plan, and what each resource adds, against the sandbox.

Applies the example configuration in a temp dir's sandbox, then alternates N times, with
the sandbox held open:
  - the floor: `terraform plan` of a root with the same versions, variables and provider
    blocks, and one data source per provider (so both start and authenticate), no
    resources and no state;
  - raw `terraform plan` of sesame's root on the applied world (the refresh of every
    resource).
Prints each median, the per-resource refresh cost ((raw - floor) / resources) and the
ratios; the last line is raw/floor. Run: .venv/bin/python bench/floor.py [N]
"""

from __future__ import annotations

import shutil
import statistics

from example import REPO, applied_example, median_line, raw_terraform, runs

from sesame.environments import open_target
from sesame.tf import runner

FLOOR_MAIN = """
data "aws_caller_identity" "floor" {}

data "cloudflare_zones" "floor" {}
"""


def main() -> int:
    n = runs()
    with applied_example("sesame-bench-floor-") as (top, cfg):
        floor_root = top / "floor"
        floor_root.mkdir()
        for name in ("versions.tf", "providers.tf", "variables.tf"):
            shutil.copy(REPO / "terraform" / name, floor_root / name)
        (floor_root / "main.tf").write_text(FLOOR_MAIN)
        floors, raws = [], []
        with open_target("sandbox", cfg, top) as target:
            prepared = runner.prepare(cfg, target)
            floor_data = top / "floor-data"
            floor_init = ["init", "-input=false"]
            raw_terraform(
                prepared, floor_init, cwd=floor_root, data_dir=floor_data, variables=False
            )
            listed = raw_terraform(prepared, ["state", "list"], variables=False)[1].decode()
            resources = len([r for r in listed.splitlines() if ".data." not in r])
            plan = ["plan", "-input=false", "-lock=false", f"-var-file={prepared.var_file}"]
            for _ in range(n):
                floors.append(raw_terraform(prepared, plan, cwd=floor_root, data_dir=floor_data)[0])
                raws.append(raw_terraform(prepared, plan)[0])
    f, r = statistics.median(floors), statistics.median(raws)
    print(f"plan of the example config ({resources} resources) vs the floor, {n} runs each")
    print(median_line("floor (both providers, no resources)", floors))
    print(median_line("raw terraform plan                  ", raws))
    print(f"  refresh per resource                        {(r - f) / resources * 1000:6.0f}ms")
    print("ratio raw/floor (last line):")
    print(f"{r / f:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
