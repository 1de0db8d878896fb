"""The Makefile as a newcomer meets it: dry runs (`make -n`, nothing fetched) and guards."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from testing import REPO


def _dry_run(*args: str) -> str:
    """What `make -n -B ARGS` would run, recursive makes included (-B: as on a clean clone)."""
    proc = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_setup_fetches_the_rfc7208_suite_the_spf_tests_read() -> None:
    """`make setup` then `make test`: setup must fetch the suite tests/dns/test_spf_eval.py reads,
    with or without the lint tools (a lost line here failed the suite on a clean clone)."""
    for lint_tools in ("LINT_TOOLS=yes", "LINT_TOOLS="):
        ran = _dry_run("setup", "TEST_BROWSER=", lint_tools)
        assert "rfc7208-tests.yml" in ran, (lint_tools, ran)


def test_an_empty_env_reaches_sesame_as_empty_not_as_the_verb() -> None:
    """`make plan ENV=` must not run `sesame --env plan` (an error naming 'plan' as the env)."""
    ran = _dry_run("plan", "ENV=")
    assert "--env '' plan" in ran, ran


def test_readme_targets_table_lists_every_documented_target() -> None:
    """The README's Make targets table and `make help` (the `## ` targets) name the same set."""
    makefile = (REPO / "Makefile").read_text()
    helped = set(re.findall(r"^([a-z-]+):.*## ", makefile, flags=re.MULTILINE))
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Make targets", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `make ([a-z-]+)` \|", table, flags=re.MULTILINE))
    assert listed == helped, f"README lacks {helped - listed}, Makefile lacks {listed - helped}"


def test_a_command_before_setup_is_one_line_naming_make_setup(tmp_path: Path) -> None:
    """`make apply` in a clone without .venv: not make's bare "No such file or directory"."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    for target in ("plan", "apply", "destroy", "credentials", "secrets"):
        proc = subprocess.run(
            ["make", target], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode != 0
        said = proc.stderr.splitlines()[0]
        assert said == ".venv/bin/sesame is missing: no venv yet; fix: run `make setup` first"
        assert "Error 3" in proc.stderr.splitlines()[-1]
