"""secrets.yaml through the real sops and age: each problem is one line, exit 4, nothing run."""

from __future__ import annotations

from pathlib import Path

import pyrage
import pytest
import yaml

from sesame import secrets
from sesame.errors import ConfigError, SecretsError
from testing import Sesame, production_config

FULL = {k: f"value-{k.lower()}" for k in secrets.SECRET_KEYS}


def _team_key(tmp_path: Path, name: str = "keys.txt") -> tuple[Path, str]:
    identity = pyrage.x25519.Identity.generate()
    path = tmp_path / name
    path.write_text(f"{identity}\n")
    return path, str(identity.to_public())


def _production(sesame: Sesame, key_file: Path, *, stage: str = "plan") -> tuple[int, str]:
    sesame.write(production_config())
    proc = sesame(stage, "--env", "production", env={"SOPS_AGE_KEY_FILE": str(key_file)})
    return proc.returncode, proc.stderr.strip()


def _assert_refused(sesame: Sesame, rc: int, err: str, *words: str) -> None:
    assert rc == SecretsError.exit_code, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("sesame: ") and "fix:" in err, err
    for w in words:
        assert w in err, err
    assert not (sesame.top / ".sesame/production/terraform-data").exists()


def test_missing_secrets_file_says_run_init(sesame: Sesame, tmp_path: Path) -> None:
    key, _ = _team_key(tmp_path)
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err, "secrets.yaml: no such file", "sesame init")


def test_plaintext_secrets_file_is_refused(sesame: Sesame, tmp_path: Path) -> None:
    key, _ = _team_key(tmp_path)
    (sesame.top / "secrets.yaml").write_text(yaml.safe_dump(FULL))
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err, "NOT encrypted", "rotate")
    assert "value-" not in err


def test_malformed_secrets_yaml_is_refused(sesame: Sesame, tmp_path: Path) -> None:
    key, _ = _team_key(tmp_path)
    (sesame.top / "secrets.yaml").write_text("sops: [unclosed\n")
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err, "not valid YAML")


def test_wrong_age_key_is_refused(sesame: Sesame, tmp_path: Path) -> None:
    _, recipient = _team_key(tmp_path, "team.txt")
    other, _ = _team_key(tmp_path, "other.txt")
    secrets.encrypt(FULL, sesame.top / "secrets.yaml", [recipient])
    rc, err = _production(sesame, other)
    _assert_refused(sesame, rc, err, "age key cannot decrypt", "SOPS_AGE_KEY_FILE")


@pytest.mark.parametrize("missing", ["R2_SECRET_ACCESS_KEY", "CLOUDFLARE_API_TOKEN"])
def test_missing_secret_key_is_named(sesame: Sesame, tmp_path: Path, missing: str) -> None:
    key, recipient = _team_key(tmp_path)
    secrets.encrypt(
        {k: v for k, v in FULL.items() if k != missing}, sesame.top / "secrets.yaml", [recipient]
    )
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err, f"missing key {missing}")


def test_half_set_aws_keys_are_refused(sesame: Sesame, tmp_path: Path) -> None:
    key, recipient = _team_key(tmp_path)
    secrets.encrypt({**FULL, "AWS_SECRET_ACCESS_KEY": ""}, sesame.top / "secrets.yaml", [recipient])
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err, "both be set")


def test_encrypted_file_holds_no_plaintext_and_decrypts_in_memory(tmp_path: Path) -> None:
    key, recipient = _team_key(tmp_path)
    path = tmp_path / "secrets.yaml"
    secrets.encrypt(FULL, path, [recipient])
    text = path.read_text()
    assert all(v not in text for v in FULL.values())
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert secrets.decrypt(path, key.read_text()) == FULL


def test_init_makes_key_sops_yaml_and_secrets_with_every_key(
    sesame: Sesame, tmp_path: Path
) -> None:
    key_file = tmp_path / "age" / "keys.txt"
    sesame.ok("init", "--age-key-file", str(key_file))
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    sops_yaml = yaml.safe_load((sesame.top / ".sops.yaml").read_text())
    recipient = sops_yaml["creation_rules"][0]["age"]
    assert recipient in key_file.read_text()
    data = secrets.decrypt(sesame.top / "secrets.yaml", key_file.read_text())
    assert sorted(data) == sorted(secrets.SECRET_KEYS)
    # A second init would destroy the team's secrets: refused in one line.
    proc = sesame("init", "--age-key-file", str(key_file))
    assert proc.returncode == ConfigError.exit_code and "already exists; fix:" in proc.stderr


def test_init_plan_and_apply_keys_each_open_only_their_own_set(
    sesame: Sesame, tmp_path: Path
) -> None:
    team_file = tmp_path / "age" / "keys.txt"
    sesame.ok("init", "--age-key-file", str(team_file))
    team = {"SOPS_AGE_KEY_FILE": str(team_file)}
    plan = sesame("init", "--plan-key", env=team)
    assert plan.returncode == 0, plan.stderr
    plan_key = plan.stdout.strip()  # stdout is the key and nothing else: pipe it into gh
    assert plan_key.startswith("AGE-SECRET-KEY-1") and "\n" not in plan_key
    assert plan_key not in plan.stderr
    apply = sesame("init", "--apply-key", env=team)
    assert apply.returncode == 0, apply.stderr
    apply_key = apply.stdout.strip()
    plan_file, apply_file = sesame.top / "secrets.plan.yaml", sesame.top / "secrets.yaml"

    assert sorted(secrets.decrypt(plan_file, plan_key)) == sorted(secrets.SECRET_KEYS)
    assert sorted(secrets.decrypt(apply_file, apply_key)) == sorted(secrets.SECRET_KEYS)
    with pytest.raises(SecretsError):  # a pull request's key never opens production's keys
        secrets.decrypt(apply_file, plan_key)
    with pytest.raises(SecretsError):
        secrets.decrypt(plan_file, apply_key)
    for path in (plan_file, apply_file):  # the team still edits both
        secrets.decrypt(path, team_file.read_text())
    rules = yaml.safe_load((sesame.top / ".sops.yaml").read_text())["creation_rules"]
    assert rules[0]["path_regex"] == r"(^|/)secrets\.plan\.yaml$"
    assert len(rules[1]["age"].split(",")) == 2  # team + apply
    # Never twice by accident, and never onto a terminal.
    again = sesame("init", "--plan-key", env=team)
    assert (
        again.returncode == ConfigError.exit_code
        and "secrets.plan.yaml already exists; fix:" in again.stderr
    )


def test_init_refuses_to_print_a_pipeline_key_onto_a_terminal(
    sesame: Sesame, tmp_path: Path
) -> None:
    import os
    import pty
    import subprocess
    import sys

    team_file = tmp_path / "keys.txt"
    sesame.ok("init", "--age-key-file", str(team_file))
    parent, child = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "sesame", "init", "--plan-key"],
        cwd=sesame.top,
        stdout=child,
        stderr=subprocess.PIPE,
        env={**os.environ, "SOPS_AGE_KEY_FILE": str(team_file)},
        text=True,
        timeout=60,
    )
    os.close(child)
    os.close(parent)
    assert proc.returncode == ConfigError.exit_code
    assert "fix: pipe it into GitHub" in proc.stderr
    assert not (sesame.top / "secrets.plan.yaml").exists()
