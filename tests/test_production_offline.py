"""Production from a machine that cannot reach AWS, R2 or Cloudflare: one line, never a traceback.

A team set up with `sesame init` and fake but well-formed keys; every outside call goes to a
proxy on a closed loopback port, so each endpoint is unreachable on any machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyrage
import pytest
import yaml

from sesame import secrets
from sesame.errors import ConfigError, FatalError, SecretsError
from sesame.target import PLACEHOLDER_ACCOUNT_ID, THROWAWAY_RECIPIENT
from sesame.tf import terraform
from testing import (
    CLOSED,
    FAKE_SECRETS,
    PRODUCTION_ACCOUNT_ID,
    REPO,
    Sesame,
    error_lines,
    example_config,
    production_config,
)

OFFLINE = {"HTTPS_PROXY": CLOSED, "HTTP_PROXY": CLOSED, "https_proxy": CLOSED, "NO_PROXY": ""}


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Sesame:
    """`sesame init` in a fresh directory, then well-formed fake keys in secrets.yaml."""
    top = tmp_path_factory.mktemp("team")
    sesame = Sesame(top)
    key_file = top / "age" / "keys.txt"
    sesame.ok("init", "--age-key-file", str(key_file))
    secrets.encrypt(FAKE_SECRETS, top / "secrets.yaml", secrets.recipients_of(top / "secrets.yaml"))
    sesame.write(production_config())
    os.environ.setdefault("SOPS_DISABLE_VERSION_CHECK", "1")
    sesame.env = {"SOPS_AGE_KEY_FILE": str(key_file), **OFFLINE}  # type: ignore[attr-defined]
    return sesame


def _run(team: Sesame, *args: str):
    proc = team(*args, "--env", "production", env=team.env)  # type: ignore[attr-defined]
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_doctor_offline_prints_one_line_per_check_and_exits_1(team: Sesame) -> None:
    proc = _run(team, "doctor")
    assert proc.returncode == FatalError.exit_code, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.strip().splitlines()
    assert [ln.split(":")[0] for ln in lines] == [
        "ok   secrets",
        "FAIL aws",
        "FAIL aws",
        "FAIL r2",
        "FAIL r2",
        "FAIL cloudflare",
    ]
    for line in lines[1:]:
        assert "cannot reach" in line and "cause:" in line and "fix:" in line, line


def test_status_offline_is_one_line(team: Sesame) -> None:
    proc = _run(team, "status")
    assert proc.returncode == FatalError.exit_code
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("sesame: cannot reach") and "fix:" in line, line


@pytest.mark.parametrize("extra", [[], ["--detailed-exitcode"]])
def test_plan_offline_names_cause_and_fix_first_then_terraforms_text(
    team: Sesame, extra: list[str]
) -> None:
    proc = _run(team, "plan", *extra)
    assert proc.returncode == FatalError.exit_code  # a failure, never 2 ("changes")
    first, *rest = error_lines(proc.stderr)
    assert first.startswith("sesame: terraform init: cannot reach the state bucket"), first
    assert "fix:" in first
    # the configured endpoint's host, not a placeholder
    assert f"at {PRODUCTION_ACCOUNT_ID}.r2.cloudflarestorage.com from here" in first, first
    assert any("Failed to get existing workspaces" in ln for ln in rest)  # Terraform's own


def test_init_failure_names_a_host_that_does_not_resolve() -> None:
    said = (
        'Error: Failed to get existing workspaces: Unable to list objects in S3 bucket "s" '
        'with prefix "env:/": ... request send failed, Get "https://x.r2.cloudflarestorage.com'
        '/s?list-type=2": dial tcp: lookup x.r2.cloudflarestorage.com on 127.0.0.53:53: no '
        "such host"
    )
    line = terraform.init_failure(said, "https://x.r2.cloudflarestorage.com")
    assert "does not resolve" in line and "backend.account_id" in line and "fix:" in line
    assert "host name x.r2.cloudflarestorage.com does not resolve" in line, line


def test_production_refuses_the_placeholder_account_id(team: Sesame, tmp_path: Path) -> None:
    other = Sesame(tmp_path)
    shutil.copy(team.top / "secrets.yaml", tmp_path / "secrets.yaml")
    other.write(example_config())
    proc = other("plan", "--env", "production", env=team.env)  # type: ignore[attr-defined]
    assert proc.returncode == ConfigError.exit_code
    [line] = error_lines(proc.stderr)
    assert PLACEHOLDER_ACCOUNT_ID in line and "backend.account_id" in line and "fix:" in line
    assert not (tmp_path / ".sesame" / "production" / "terraform-data").exists()


def test_shipped_secrets_template_has_every_key_for_the_public_throwaway_key() -> None:
    shipped = REPO / "secrets.yaml"
    assert secrets.recipients_of(shipped) == [THROWAWAY_RECIPIENT]
    key = (REPO / "scripts/sesame/sandbox/throwaway-age-key.txt").read_text()
    assert f"public key: {THROWAWAY_RECIPIENT}" in key
    data = secrets.decrypt(shipped, key)
    assert set(secrets.SECRET_KEYS) <= set(data)
    assert all(data[k] == "" for k in secrets.SECRET_KEYS)  # a template: no value at all
    assert "production refuses it" in yaml.safe_load(shipped.read_text())["TEMPLATE_unencrypted"]


def test_production_refuses_the_shipped_secrets_template(team: Sesame, tmp_path: Path) -> None:
    other = Sesame(tmp_path)
    shutil.copy(REPO / "secrets.yaml", tmp_path / "secrets.yaml")
    other.write(production_config())
    # plan stops with the secrets code; doctor reports it as its failing check (exit 1)
    for verb, code in (("plan", SecretsError.exit_code), ("doctor", FatalError.exit_code)):
        proc = other(verb, "--env", "production", env=team.env)  # type: ignore[attr-defined]
        assert proc.returncode == code, proc.stdout + proc.stderr
        [line] = error_lines(proc.stdout + proc.stderr)
        assert "shipped template" in line and "sesame init" in line and "fix:" in line


def test_init_replaces_the_shipped_template_without_force(tmp_path: Path) -> None:
    sesame = Sesame(tmp_path)
    shutil.copy(REPO / "secrets.yaml", tmp_path / "secrets.yaml")
    key_file = tmp_path / "keys.txt"
    sesame.ok("init", "--age-key-file", str(key_file))
    [recipient] = secrets.recipients_of(tmp_path / "secrets.yaml")
    assert recipient != THROWAWAY_RECIPIENT
    identity = pyrage.x25519.Identity.from_str(key_file.read_text().split()[-1])
    assert str(identity.to_public()) == recipient
    again = sesame("init", "--age-key-file", str(key_file))  # a team's own file: refused
    assert again.returncode == ConfigError.exit_code and "--force" in again.stderr
