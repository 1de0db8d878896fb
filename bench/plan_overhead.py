"""How much sesame adds to a no-change plan: `sesame plan` time / raw `terraform plan` time.

Applies the example configuration in a temp dir's sandbox, then alternates N times:
  - `sesame plan` end to end (CLI start, sandbox start/stop, sops, init check, plan);
  - raw `terraform plan` on the same root, data dir, backend and variables, with the
    sandbox held open (so raw terraform gets its stand-ins for free).
Prints each median; the last line is the ratio sesame/raw alone.
Run: .venv/bin/python bench/plan_overhead.py [N]
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


def sesame(top: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sesame", *args], cwd=top, check=True, capture_output=True
    )
    return time.perf_counter() - start


def raw_terraform_plan(top: Path, cfg: config.Config) -> float:
    with open_target("sandbox", cfg, top) as target:
        prepared = runner.prepare(cfg, target)
        env = {**prepared.tf.env, "TF_DATA_DIR": str(prepared.tf.data_dir)}
        argv = ["terraform", "plan", "-input=false", f"-var-file={prepared.var_file}"]
        start = time.perf_counter()
        subprocess.run(argv, cwd=prepared.tf.root, env=env, check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    top = Path(tempfile.mkdtemp(prefix="sesame-bench-"))
    try:
        shutil.copy(REPO / "sesame.yaml", top / "sesame.yaml")
        cfg = config.load(top / "sesame.yaml")
        sesame(top, "apply")
        ours, raw = [], []
        for _ in range(runs):
            ours.append(sesame(top, "plan"))
            raw.append(raw_terraform_plan(top, cfg))
        sesame(top, "destroy")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    o, r = statistics.median(ours), statistics.median(raw)
    print(f"no-change plan, example config (2 domains, 3 senders), {runs} runs each")
    print(f"  sesame plan        median {o:6.2f}s  (min {min(ours):.2f}s)")
    print(f"  raw terraform plan median {r:6.2f}s  (min {min(raw):.2f}s)")
    print("ratio sesame/raw (last line):")
    print(f"{o / r:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
