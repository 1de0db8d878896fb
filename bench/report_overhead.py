"""What the plan report costs: `sesame plan --report` against the raw Terraform it needs.

For a configuration of D domains (one SMTP sender each) planned from empty state in a temp
dir's sandbox, alternates N times:
  - `sesame plan --report DIR` end to end (CLI, sandbox, sops, preflight, plan, show -json,
    report.json + report.md + report.html);
  - raw `terraform plan -out` then `terraform show -json` of that plan (what any report
    tool has to run first), on the same root, data dir, backend and variables, with the
    sandbox held open (so raw terraform gets its stand-ins for free);
and times sesame's own part alone: building and rendering the three forms from the JSON.
Prints medians, the ratio and the report sizes.
Run: .venv/bin/python bench/report_overhead.py [DOMAINS] [N]   (defaults: 50 3)
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from example import raw_terraform  # noqa: E402

from sesame import config, report  # noqa: E402
from sesame.environments import open_target  # noqa: E402
from sesame.tf import runner  # noqa: E402


def write_config(top: Path, domains: int) -> None:
    cfg = yaml.safe_load((REPO / "sesame.yaml").read_text())
    cfg["domains"] = {
        f"d{i:03}.example": {
            "dmarc": {"policy": "quarantine"},
            "senders": {f"app{i:03}": {"kind": "smtp", "from": [f"noreply@d{i:03}.example"]}},
        }
        for i in range(domains)
    }
    (top / "sesame.yaml").write_text(yaml.safe_dump(cfg))


def sesame_plan_report(top: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sesame", "plan", "--report", "rep"],
        cwd=top,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def raw_plan_and_show(top: Path, cfg: config.Config) -> tuple[float, float]:
    """Raw terraform plan -out + show -json; then sesame's build + render on that JSON."""
    with open_target("sandbox", cfg, top) as target:
        prepared = runner.prepare(cfg, target)
        plan_file = prepared.tf.root / "bench.tfplan"
        var_file = f"-var-file={prepared.var_file}"
        planned, _ = raw_terraform(
            prepared, ["plan", "-input=false", var_file, f"-out={plan_file}"]
        )
        shown_in, shown = raw_terraform(
            prepared, ["show", "-json", str(plan_file)], variables=False
        )
        raw = planned + shown_in
        start = time.perf_counter()
        built = report.build(json.loads(shown), report.plan_file_facts(plan_file), [])
        report.write(built, top / "bench-rep")
        ours = time.perf_counter() - start
        plan_file.unlink()
        return raw, ours


def main() -> int:
    domains = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    top = Path(tempfile.mkdtemp(prefix="sesame-bench-"))
    try:
        write_config(top, domains)
        cfg = config.load(top / "sesame.yaml")
        ours, raw, render = [], [], []
        for _ in range(runs):
            ours.append(sesame_plan_report(top))
            r, b = raw_plan_and_show(top, cfg)
            raw.append(r)
            render.append(b)
        sizes = {p.name: p.stat().st_size for p in sorted((top / "rep").iterdir())}
        changes = len(json.loads((top / "rep/report.json").read_text())["changes"])
    finally:
        shutil.rmtree(top, ignore_errors=True)
    o, r, b = statistics.median(ours), statistics.median(raw), statistics.median(render)
    print(f"plan from empty state, {domains} domains ({changes} changes), {runs} runs each")
    print(f"  sesame plan --report           median {o:7.2f}s  (min {min(ours):.2f}s)")
    print(f"  raw terraform plan + show -json median {r:7.2f}s  (min {min(raw):.2f}s)")
    print(f"  ratio sesame/raw               {o / r:7.2f}")
    print(f"  of which build + render 3 forms median {b:6.2f}s ({b / r:.1%} of raw)")
    print("  sizes: " + ", ".join(f"{n} {s / 1024:,.0f} KiB" for n, s in sizes.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
