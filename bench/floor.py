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
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from sesame import config  # noqa: E402
from sesame.environments import open_target  # noqa: E402
from sesame.tf import runner  # noqa: E402

FLOOR_MAIN = """
data "aws_caller_identity" "floor" {}

data "cloudflare_zones" "floor" {}
"""


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    top = Path(tempfile.mkdtemp(prefix="sesame-bench-floor-"))
    try:
        shutil.copy(REPO / "sesame.yaml", top / "sesame.yaml")
        subprocess.run(
            [sys.executable, "-m", "sesame", "apply"], cwd=top, check=True, capture_output=True
        )
        cfg = config.load(top / "sesame.yaml")
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
            subprocess.run(
                ["terraform", "init", "-input=false"],
                cwd=floor_root,
                env=floor_env,
                check=True,
                capture_output=True,
            )
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
            for _ in range(runs):
                floors.append(timed(plan, floor_root, floor_env))
                raws.append(timed(plan, prepared.tf.root, env))
        subprocess.run(
            [sys.executable, "-m", "sesame", "destroy"], cwd=top, check=True, capture_output=True
        )
    finally:
        shutil.rmtree(top, ignore_errors=True)
    f, r = statistics.median(floors), statistics.median(raws)
    print(f"plan of the example config ({resources} resources) vs the floor, {runs} runs each")
    print(f"  floor (both providers, no resources) median {f:6.2f}s  (min {min(floors):.2f}s)")
    print(f"  raw terraform plan                   median {r:6.2f}s  (min {min(raws):.2f}s)")
    print(f"  refresh per resource                        {(r - f) / resources * 1000:6.0f}ms")
    print("ratio raw/floor (last line):")
    print(f"{r / f:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
