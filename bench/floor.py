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
import subprocess

from example import REPO, applied_example, median_line, runs, timed

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
            env = {**prepared.tf.env, "TF_DATA_DIR": str(prepared.tf.data_dir)}
            floor_env = {**prepared.tf.env, "TF_DATA_DIR": str(top / "floor-data")}
            var_file = f"-var-file={prepared.var_file}"
            timed(["terraform", "init", "-input=false"], floor_root, floor_env)
            listed = subprocess.run(
                ["terraform", "state", "list"],
                cwd=prepared.tf.root,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            resources = len([r for r in listed.stdout.splitlines() if ".data." not in r])
            plan = ["terraform", "plan", "-input=false", "-lock=false", var_file]
            for _ in range(n):
                floors.append(timed(plan, floor_root, floor_env))
                raws.append(timed(plan, prepared.tf.root, env))
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
