"""What the bench scripts share: the example configuration applied in a throwaway sandbox,
timed runs, and the median lines they print. Not a bench itself."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
# The benches measure Terraform and sesame, not Cloudflare's API quota: at 100 domains and
# more they would wait for its 5-minute windows (docs/scale.md), so the emulator's limit
# is off unless the caller sets it.
os.environ.setdefault("SESAME_SANDBOX_CLOUDFLARE_LIMIT", "off")

from sesame import config  # noqa: E402


def runs(default: int = 5) -> int:
    """N, the script's one argument."""
    return int(sys.argv[1]) if len(sys.argv) > 1 else default


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds one process takes, start to exit (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def raw_terraform(
    prepared: Any,
    args: list[str],
    *,
    cwd: Path | None = None,
    data_dir: Path | None = None,
    variables: bool = True,
) -> tuple[float, bytes]:
    """(seconds, stdout) of one raw `terraform ARGS` for `prepared` (runner.prepare's
    result), started as sesame starts it: R2's keys served to the backend's credential
    helper, the ephemeral credentials piped in as `-var-file=/dev/fd/N` (`variables`);
    `cwd`/`data_dir`: another root (the floor). Nothing of sesame runs while it is timed."""
    with prepared.tf.command(args, variables) as (argv, spawn):
        env = dict(spawn.env)
        if data_dir is not None:
            env["TF_DATA_DIR"] = str(data_dir)
        start = time.perf_counter()
        done = subprocess.run(
            argv,
            cwd=cwd or prepared.tf.root,
            env=env,
            pass_fds=spawn.fds,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start, done.stdout


def raw_plan(prepared: Any, *extra: str) -> float:
    """Seconds of one raw `terraform plan` of sesame's root with sesame's inputs."""
    var_file = f"-var-file={prepared.var_file}"
    return raw_terraform(prepared, ["plan", "-input=false", *extra, var_file])[0]


def sesame(top: Path, *args: str) -> float:
    """Seconds one `sesame ARGS` takes, end to end, in the project at `top`."""
    return timed([sys.executable, "-m", "sesame", *args], top)


@contextmanager
def applied_example(prefix: str, *, destroy: bool = True) -> Iterator[tuple[Path, config.Config]]:
    """The repository's sesame.yaml applied in a temp dir's sandbox (destroyed after, if
    asked); the dir is removed either way."""
    top = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        shutil.copy(REPO / "sesame.yaml", top / "sesame.yaml")
        sesame(top, "apply")
        yield top, config.load(top / "sesame.yaml")
        if destroy:
            sesame(top, "destroy")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def median_line(label: str, samples: list[float]) -> str:
    """`  LABEL median   1.23s  (min 1.01s)`: the median and the best run."""
    return f"  {label} median {statistics.median(samples):6.2f}s  (min {min(samples):.2f}s)"
