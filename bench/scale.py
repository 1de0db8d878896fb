"""How sesame scales with domains: one state vs shards, each against raw Terraform.

For each size (default 1,10; issue 14 asks for 1,10,100,300,1000) and layout (one state;
`shards: {count: 10}`), in a temp dir's sandbox holding a git repository:
  - apply from empty (`sesame apply`, every shard);
  - a no-change plan (`sesame plan`, every shard);
  - a one-domain change (t0's MAIL FROM label): `sesame plan` for one state,
    `sesame plan --changed-since HEAD` with shards (only t0's shard is planned);
  - raw `terraform plan` of that change on the same root, data dir, backend and variables
    (the shard's, with shards), with the sandbox held open: the floor sesame wraps.
Prints a table, then ratio lines; the last line is the sharded one-domain change at the
largest size over the one-domain configuration's (goal at 1,000 domains: <= 1.5).
Run: .venv/bin/python bench/scale.py SIZES SHARDS [--one-state-up-to N] [--keep] [--readme]
e.g. `1,10,100 10`. `--one-state-up-to N` measures the one-state layout only up to N domains
(a 1,000-domain single state takes about an hour here; the shards are what that size is
for). Cloudflare's API limit is off in the sandbox unless SESAME_SANDBOX_CLOUDFLARE_LIMIT
is set (bench/example.py): the bench measures Terraform and sesame, not the 5-minute
windows a real token would wait for (docs/scale.md counts those). `--readme` writes the
table and ratio lines into README.md between its `<!-- bench/scale.py -->` markers
(the README's figures are this script's output); `--keep` leaves each measured directory
(its sandbox world, states and git history) for profiling and names it on stderr.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from example import raw_plan as raw_plan_of  # noqa: E402

from sesame import config, shards  # noqa: E402
from sesame.environments import open_target  # noqa: E402
from sesame.tf import fanout, runner  # noqa: E402

BACKEND = {
    "account_id": "0123456789abcdef0123456789abcdef",
    "bucket": "sesame-bench-state",
    "key": "sesame/terraform.tfstate",
}


def make(n: int, shard_count: int, changed: bool = False) -> dict:
    domains = {f"t{i}.example.net": {"dmarc": {"policy": "none"}} for i in range(n)}
    if changed:
        domains["t0.example.net"]["mail_from"] = "bounce"
    data: dict = {"region": "eu-west-1", "backend": BACKEND, "domains": domains}
    if shard_count:
        data["shards"] = {"count": shard_count}
    return data


def sesame(top: Path, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sesame", *args], cwd=top, capture_output=True, text=True
    )
    if proc.returncode not in (0, 2):
        raise SystemExit(f"sesame {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def raw_plan(top: Path, cfg: config.Config) -> float:
    """Raw terraform plan of t0's state (one state, or t0's shard), sandbox held open."""
    with open_target("sandbox", cfg, top) as target:
        part, sub = cfg, target
        if cfg.shards is not None:
            shard = shards.assign(cfg)["t0.example.net"]
            part, sub = shards.view(cfg, shard), fanout.shard_target(target, shard)
        return raw_plan_of(runner.prepare(part, sub))


def git(top: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(top), "-c", "user.email=b@example.net", "-c", "user.name=b", *args],
        check=True,
        capture_output=True,
    )


def measure(n: int, shard_count: int, keep: bool = False) -> dict[str, float]:
    top = Path(tempfile.mkdtemp(prefix="sesame-scale-"))
    try:
        git(top, "init", "-q", "-b", "main")
        (top / ".gitignore").write_text(".sesame/\n")
        (top / "sesame.yaml").write_text(yaml.safe_dump(make(n, shard_count)))
        git(top, "add", ".")
        git(top, "commit", "-q", "-m", "base")
        got = {"apply": sesame(top, "apply"), "no-change plan": sesame(top, "plan")}
        (top / "sesame.yaml").write_text(yaml.safe_dump(make(n, shard_count, changed=True)))
        one = ("plan", "--changed-since", "HEAD") if shard_count else ("plan",)
        got["one-domain change"] = sesame(top, *one)
        got["raw terraform"] = raw_plan(top, config.load(top / "sesame.yaml"))
        return got  # the sandbox's world lives in `top`: removing it is the clean-up
    finally:
        if keep:
            print(f"kept: {top} ({n} domains, {shard_count or 'no'} shards)", file=sys.stderr)
        else:
            shutil.rmtree(top, ignore_errors=True)


MARK = "<!-- bench/scale.py -->"


def write_readme(lines: list[str]) -> None:
    """Replace what lies between README.md's two MARK lines with `lines` as a code block."""
    readme = REPO / "README.md"
    head, _, rest = readme.read_text().partition(MARK + "\n")
    _, found, tail = rest.partition(MARK + "\n")
    if not found:
        raise SystemExit(f"README.md: needs two {MARK} lines around the scale table")
    block = "```\n" + "\n".join(lines) + "\n```\n"
    readme.write_text(head + MARK + "\n" + block + MARK + "\n" + tail)


def options(args: list[str]) -> tuple[list[int], int, int | None, set[str]]:
    """(sizes, shard count, largest one-state size or None for all, flags given)."""
    flags = {a for a in args if a in ("--readme", "--keep")}
    args = [a for a in args if a not in flags]
    cap = None
    if "--one-state-up-to" in args:
        at = args.index("--one-state-up-to")
        cap = int(args[at + 1])
        del args[at : at + 2]
    sizes = [int(s) for s in (args[0] if args else "1,10").split(",")]
    return sizes, int(args[1]) if len(args) > 1 else 10, cap, flags


def main() -> int:
    sizes, count, cap, flags = options(sys.argv[1:])
    rows: dict[tuple[int, str], dict[str, float]] = {}
    cols = ["apply", "no-change plan", "one-domain change", "raw terraform"]
    lines = [f"{'domains':>7}  {'layout':<10}" + "".join(f"{c:>20}" for c in cols)]
    print(lines[-1], flush=True)
    for n in sizes:
        for layout, shard_count in (("one state", 0), (f"{count} shards", count)):
            if not shard_count and cap is not None and n > cap:
                continue
            got = measure(n, shard_count, keep="--keep" in flags)
            rows[(n, layout)] = got
            cells = "".join(f"{got[c]:>19.1f}s" for c in cols)
            lines.append(f"{n:>7}  {layout:<10}{cells}")
            print(lines[-1], flush=True)
    one = rows[(min(sizes), "one state")]
    big = max(sizes)
    sharded = rows[(big, f"{count} shards")]
    both = max(n for n in sizes if (n, "one state") in rows)
    single = rows[(both, "one state")]
    lines += [
        f"no-change plan {n}/{min(sizes)} domains (one state): "
        f"{rows[(n, 'one state')]['no-change plan'] / one['no-change plan']:.2f}"
        for n in sizes
        if n != min(sizes) and (n, "one state") in rows
    ]
    lines += [
        f"one-domain change, sesame/raw terraform: one state at {both} "
        f"{single['one-domain change'] / single['raw terraform']:.2f}, shards at {big} "
        f"{sharded['one-domain change'] / sharded['raw terraform']:.2f}",
        f"one-domain change at {big} domains with {count} shards / a {min(sizes)}-domain config:",
        f"{sharded['one-domain change'] / one['one-domain change']:.2f}",
    ]
    print("\n".join(lines[len(rows) + 1 :]), flush=True)
    if "--readme" in flags:
        write_readme(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
