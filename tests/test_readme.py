"""The README is executable: every shell block it marks `tested` is run, as typed, in order.

The blocks are read from README.md, so the test fails when the README and the product
drift apart. A ```sh block must carry `<!-- tested: readme ... -->` or
`<!-- not run here: REASON -->` on the line before it, so nobody adds an untested one.

The commands run through bash in a fresh copy of the repository's files (`git ls-files`):
its own `.venv` (this checkout's installed packages, the copy's own `sesame` package and
console script, the same sops) and its own Terraform CLI configuration written by
`sesame setup`, the step of `make setup` that is not `pip install`. One applied sandbox world
for the whole README (module-scoped): apply, plan, credentials, the production block, records,
doctor/status/verify/admin-policy, the plan report, destroy.

Production commands run against unreachable endpoints (every outside call goes to a proxy on
a closed loopback port): each must fail in one line with its documented exit code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from sesame import exports
from sesame.errors import ConfigError
from testing import CLOSED, FAKE_SECRETS, REPO

README = REPO / "README.md"
MARK_RE = re.compile(r"<!-- (tested: readme|not run here: .+?)(?: \(.+\))? -->")
FENCE = "```sh"


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    mark: str | None
    commands: list[str]


def blocks(text: str) -> list[Block]:
    """Every ```sh block, the mark on the line before it (blank lines skipped), its commands."""
    lines = text.splitlines()
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == FENCE:
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            found = MARK_RE.fullmatch(lines[j].strip()) if j >= 0 else None
            end = lines.index("```", i + 1)
            commands = [ln for ln in lines[i + 1 : end] if ln.strip()]
            out.append(Block(i + 1, found.group(1) if found else None, commands))
            i = end
        i += 1
    return out


def readme_commands() -> list[str]:
    return [c for b in blocks(README.read_text()) if b.mark == "tested: readme" for c in b.commands]


def test_every_shell_block_is_tested_or_says_why_not() -> None:
    found = blocks(README.read_text())
    unmarked = [b.line for b in found if b.mark is None]
    assert not unmarked, f"README.md: ```sh blocks at lines {unmarked} carry no test mark"
    assert sum(b.mark == "tested: readme" for b in found) >= 5


# -- the copy ------------------------------------------------------------------------------


def _copy_repo(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _venv(copy: Path) -> None:
    """The copy's .venv: this checkout's packages, the copy's own sesame and `sesame` script."""
    venv = copy / ".venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]  # the checkout's venv (its sesame .pth not read)
    Path(site, "sesame_readme_copy.pth").write_text(f"{copy / 'scripts'}\n{ours}\n")
    script = venv / "bin" / "sesame"
    script.write_text(f"#!{python}\nimport sys\nfrom sesame.main import main\nsys.exit(main())\n")
    script.chmod(0o755)
    for tool in ("sops", "actionlint"):
        if (Path(sys.executable).parent / tool).exists():
            (venv / "bin" / tool).symlink_to(Path(sys.executable).parent / tool)


def _editor(path: Path) -> Path:
    """$EDITOR for `make secrets`: writes well-formed fake keys into the file sops opens."""
    script = path / "fill-secrets"
    script.write_text(
        f"#!{sys.executable}\nimport sys, yaml\n"
        f"yaml.safe_dump({FAKE_SECRETS!r}, open(sys.argv[-1], 'w'))\n"
    )
    script.chmod(0o755)
    return script


@dataclass
class Run:
    command: str
    rc: int
    out: str
    err: str
    seconds: float


@pytest.fixture(scope="module")
def readme(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Run every tested README command in order, once; results keyed by the command line."""
    copy = tmp_path_factory.mktemp("readme") / "sesame"
    copy.mkdir()
    home = tmp_path_factory.mktemp("home")
    _copy_repo(copy)
    _venv(copy)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "EDITOR": str(_editor(home)),
        "SOPS_DISABLE_VERSION_CHECK": "1",
    }
    for key in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SESAME_CONFIG", "SESAME_ENV", "VIRTUAL_ENV"):
        env.pop(key, None)
    setup = subprocess.run(
        [copy / ".venv/bin/sesame", "setup"], cwd=copy, env=env, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stderr
    offline = {"HTTPS_PROXY": CLOSED, "HTTP_PROXY": CLOSED, "https_proxy": CLOSED, "NO_PROXY": ""}
    results: dict[str, Run] = {}
    for command in readme_commands():
        started = time.monotonic()
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=copy,
            env={**env, **offline} if "production" in command else env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        results[command] = Run(
            command, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started
        )
        took = time.monotonic() - started
        print(f"README: {command.split('#')[0].strip()}: rc {proc.returncode}, {took:.1f} s")
        if command.startswith("make apply "):  # the README quotes these lines (no secrets)
            quoted = ("Plan:", "Apply complete!", "sandbox: applied:")
            for line in (proc.stdout + proc.stderr).splitlines():
                if any(q in line for q in quoted):
                    print(f"README:   {line}")
    return results


def _one(readme: dict[str, Run], prefix: str) -> Run:
    [run] = [r for c, r in readme.items() if c.split("#")[0].strip() == prefix]
    return run


def _ok(run: Run) -> None:
    assert run.rc == 0, f"{run.command}: rc {run.rc}\n{run.err[-3000:]}"
    assert "Traceback" not in run.out + run.err


# -- what each command must do ---------------------------------------------------------------


def _apply(run: Run) -> None:
    _ok(run)
    assert "Apply complete!" in run.out + run.err
    assert re.search(r"sandbox: applied: \d+ added", run.out + run.err)


def _plan(run: Run) -> None:
    _ok(run)
    text = run.out + run.err
    assert "sandbox: no changes: 0 to add, 0 to change, 0 to destroy" in text, text[-2000:]
    drift = [ln for ln in text.splitlines() if "changed outside" in ln or "drift" in ln.lower()]
    assert not drift, drift


def _credentials(run: Run) -> None:
    _ok(run)
    for sender in ("app-smtp", "app-api", "web-ec2"):
        assert sender in run.out


def _credentials_reveal(run: Run) -> None:
    _ok(run)
    names = [ln.split("=", 1)[0] for ln in run.out.splitlines() if "=" in ln]
    # sesame's own field names, every one (the same set `--format k8s` gives)
    assert names == list(exports.SMTP_FIELDS) and {"SMTP_PORTS", "AWS_REGION"} <= set(names)
    assert "********" not in run.out  # revealed, not masked (the value is never printed here)


def _init(run: Run) -> None:
    _ok(run)
    assert "wrote .sops.yaml and secrets.yaml" in run.out


def _secrets(run: Run) -> None:
    _ok(run)


def _production(run: Run) -> None:
    """Offline, with the shipped placeholder account: one line, the config code, no traceback."""
    assert run.rc != 0
    said = [ln for ln in run.err.splitlines() if ln.startswith("sesame:")]
    assert len(said) == 1, run.err
    assert "backend.account_id is the shipped placeholder" in said[0] and "fix:" in said[0]
    assert f"Error {ConfigError.exit_code}" in run.err.splitlines()[-1]  # make names the code
    assert "Traceback" not in run.out + run.err


def _records(run: Run) -> None:
    _ok(run)
    assert "_domainkey.example.org" in run.out and "CNAME" in run.out


def _domain_add(run: Run) -> None:
    _ok(run)
    doc = json.loads(run.out)
    assert doc["domain"] == "shop.example.net" and doc["pending"]["keys"] == [
        "dkim1",
        "dkim2",
        "dkim3",
    ]
    assert "mail.shop.example.net" in {r["name"] for r in doc["records"]}


def _domain_remove(run: Run) -> None:
    _ok(run)
    assert "removed shop.example.net" in run.err


def _doctor(run: Run) -> None:
    _ok(run)
    assert all(ln.startswith("ok ") for ln in run.out.strip().splitlines()), run.out


def _status(run: Run) -> None:
    _ok(run)
    assert re.search(r"^example\.com +verified +SUCCESS +2048", run.out, flags=re.MULTILINE)


def _verify(run: Run) -> None:
    _ok(run)
    assert re.search(r"^\d+ passed, 0 failed$", run.out, flags=re.MULTILINE), run.out


def _admin_policy(run: Run) -> None:
    _ok(run)
    assert "ses:" in run.out


def _report(run: Run) -> None:
    _ok(run)
    assert "plan digest" in run.err + run.out


def _destroy(run: Run) -> None:
    _ok(run)
    assert "Destroy complete!" in run.out + run.err or "destroyed" in run.out + run.err


def _validate_sharded(run: Run) -> None:
    _ok(run)
    assert "docs/sharded.yaml: ok (3 domain(s))" in run.out


def _atlantis(run: Run) -> None:
    _ok(run)
    assert "wrote atlantis.yaml: 4 project(s), one per shard" in run.out


EXPECT: dict[str, Callable[[Run], None]] = {
    "make apply": _apply,
    "make plan": _plan,
    "make credentials": _credentials,
    'make credentials SENDER=app-smtp ARGS="--format env --reveal"': _credentials_reveal,
    ".venv/bin/sesame init": _init,
    "make secrets": _secrets,
    "make plan ENV=production": _production,
    "make apply ENV=production": _production,
    "make destroy ENV=production ARGS=--yes": _production,
    ".venv/bin/sesame records example.org --format bind": _records,
    ".venv/bin/sesame domain add shop.example.net --dns manual": _domain_add,
    ".venv/bin/sesame domain remove shop.example.net": _domain_remove,
    ".venv/bin/sesame doctor": _doctor,
    ".venv/bin/sesame status": _status,
    ".venv/bin/sesame verify": _verify,
    ".venv/bin/sesame admin-policy": _admin_policy,
    ".venv/bin/sesame plan --report rep": _report,
    "make destroy": _destroy,
    ".venv/bin/sesame validate --config docs/sharded.yaml": _validate_sharded,
    ".venv/bin/sesame ci atlantis --config docs/sharded.yaml --out atlantis.yaml": _atlantis,
}


def test_every_tested_command_has_an_expectation() -> None:
    typed = [c.split("#")[0].strip() for c in readme_commands()]
    assert sorted(typed) == sorted(EXPECT), "add the new README command to EXPECT"


@pytest.mark.parametrize("command", list(EXPECT))
def test_readme_command_works_as_typed(readme: dict[str, Run], command: str) -> None:
    EXPECT[command](_one(readme, command))


def test_readme_report_files_are_written_in_the_copy(readme: dict[str, Run]) -> None:
    run = _one(readme, ".venv/bin/sesame plan --report rep")
    written = re.findall(r"wrote (\S+)", run.err + run.out)
    assert {Path(p).name for p in written} >= {"report.md", "report.html", "report.json"}


def test_readme_figures_match_this_run(readme: dict[str, Run]) -> None:
    """The counts the README quotes from `make apply` are this run's (Terraform's summary)."""
    run = _one(readme, "make apply")
    [summary] = re.findall(r"Apply complete! Resources: (.+?)\.\n", run.out + run.err)
    quoted = re.findall(r"Apply complete! Resources: (.+?)\.\n", README.read_text())
    assert quoted == [summary], f"README says {quoted}, this run says {summary!r}"
    sesame_line = re.search(r"^sandbox: applied: .+$", run.out + run.err, flags=re.MULTILINE)
    assert sesame_line and sesame_line.group(0) in README.read_text()  # the path as typed too


def test_readme_verify_sample_counts_this_runs_checks(readme: dict[str, Run]) -> None:
    """The `sesame verify` sample's summary line and check lines are this run's."""
    run = _one(readme, ".venv/bin/sesame verify")
    [summary] = re.findall(r"^\d+ passed, \d+ failed$", run.out, flags=re.MULTILINE)
    text = README.read_text()
    assert re.findall(r"^\d+ passed, \d+ failed$", text, flags=re.MULTILINE) == [summary]
    checks = re.findall(r"^ok +([^:\n]+: [^:\n]+):", run.out, flags=re.MULTILINE)
    sample = text.split("$ .venv/bin/sesame verify\n", 1)[1].split(summary, 1)[0]  # not status's
    quoted = re.findall(r"^ok +([^:\n]+: [^:\n]+):", sample, flags=re.MULTILINE)
    assert sorted(quoted) == sorted(checks), "update the README's verify sample"


def test_readme_status_sample_has_this_runs_tables_and_checks(readme: dict[str, Run]) -> None:
    """The `sesame status` sample's table headings and check lines are this run's."""
    run = _one(readme, ".venv/bin/sesame status")
    text = README.read_text()
    sample = text.split("$ .venv/bin/sesame status\n", 1)[1].split("$ .venv/bin/sesame verify", 1)[
        0
    ]
    headings = re.compile(r"^[A-Z][A-Z ]+[A-Z]$", flags=re.MULTILINE)
    assert [h.split() for h in headings.findall(sample)] == [
        h.split() for h in headings.findall(run.out)
    ], "update the README's status sample"
    check = re.compile(r"^(?:ok|FAIL|warn) +([^:\n]+: [^:\n]+):", flags=re.MULTILINE)
    assert sorted(check.findall(sample)) == sorted(check.findall(run.out)), run.out


def test_readme_config_is_the_shipped_one() -> None:
    """The sesame.yaml the README shows parses to the shipped file's domains and senders."""
    shown = re.search(r"```yaml\n(.+?)```", README.read_text(), flags=re.DOTALL)
    assert shown
    ours = yaml.safe_load((REPO / "sesame.yaml").read_text())
    theirs = yaml.safe_load(shown.group(1))
    assert {d: sorted(v["senders"]) for d, v in theirs["domains"].items()} == {
        d: sorted(v["senders"]) for d, v in ours["domains"].items()
    }
