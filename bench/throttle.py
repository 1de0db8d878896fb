"""How much the SES v2 control-plane rate limits add to an apply, and what -parallelism
does about it.

For N domains (no senders), applies the configuration from empty state in a fresh sandbox:
once unthrottled, then per rate setting (SESAME_SANDBOX_SES_RATES, e.g. `read=4,write=2`,
one per --rates) once per --parallelism value (default: 10, Terraform's and the rule's
value for the provider's default retries, and 4). Prints each apply's time and its ratio
to the unthrottled one; the last line is the ratio of the first throttled apply.

Run: .venv/bin/python bench/throttle.py [--domains 300] [--rates read=4,write=2 ...]
     [--parallelism 10 --parallelism 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# These runs measure Terraform and sesame, not Cloudflare's API quota: at 100 domains and
# more they would wait for its 5-minute windows (docs/scale.md), so the emulator's limit
# is off unless the caller sets it.
os.environ.setdefault("SESAME_SANDBOX_CLOUDFLARE_LIMIT", "off")
sys.path.insert(0, str(REPO / "scripts"))


def config(domains: int) -> dict:
    return {
        "region": "eu-west-1",
        "backend": {
            "account_id": "0123456789abcdef0123456789abcdef",
            "bucket": "sesame-bench-state",
            "key": "sesame/terraform.tfstate",
        },
        "domains": {f"tenant{n:05d}.example.net": {"senders": {}} for n in range(domains)},
    }


# `sesame apply`, with -parallelism fixed to argv[1] instead of the rule's value.
APPLY = """
import sys
from sesame.tf import parallelism
if sys.argv[1]:
    parallelism.for_ses_write_rate = lambda *_: int(sys.argv[1])
from sesame.main import main
raise SystemExit(main(["apply"]))
"""


def timed_apply(domains: int, rates: str, fixed_parallelism: str = "") -> float:
    top = Path(tempfile.mkdtemp(prefix="sesame-bench-throttle-"))
    try:
        (top / "sesame.yaml").write_text(yaml.safe_dump(config(domains)))
        env = {**os.environ, "SESAME_SANDBOX_SES_RATES": rates}
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", APPLY, fixed_parallelism],
            cwd=top,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.splitlines()[-15:])
            raise SystemExit(f"apply with rates '{rates}' failed (rc {proc.returncode}):\n{tail}")
        return elapsed
    finally:
        shutil.rmtree(top, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=300)
    parser.add_argument("--rates", action="append", default=None)
    parser.add_argument("--parallelism", action="append", type=int, default=None)
    args = parser.parse_args()
    settings = args.rates or ["read=4,write=2"]
    print(f"apply of {args.domains} domains from empty state", flush=True)
    base = timed_apply(args.domains, "")
    print(f"  unthrottled, parallelism 10                 {base:7.1f}s", flush=True)
    ratios = []
    for rates in settings:
        for value in args.parallelism or [10, 4]:
            label = f"{value}"
            took = timed_apply(args.domains, rates, str(value))
            ratios.append(took / base)
            print(
                f"  {rates:20s} parallelism {label:10s}  {took:7.1f}s  x{took / base:.2f}"
                f"  (+{took - base:.1f}s)",
                flush=True,
            )
    print(f"{ratios[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
