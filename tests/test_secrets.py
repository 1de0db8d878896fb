"""secrets.yaml through the real sops and age: each problem is one line, exit 4, nothing run."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyrage
import pytest
import yaml

from sesame import secrets
from sesame.errors import ConfigError, SecretsError
from testing import Sesame, error_lines, production_config

FULL = {k: f"value-{k.lower()}" for k in secrets.SECRET_KEYS}


def _team_key(tmp_path: Path, name: str = "keys.txt") -> tuple[Path, str]:
    identity = pyrage.x25519.Identity.generate()
    path = tmp_path / name
    path.write_text(f"{identity}\n")
    return path, str(identity.to_public())


def _production(sesame: Sesame, key_file: Path, *, stage: str = "plan") -> tuple[int, str]:
    sesame.write(production_config())
    proc = sesame(stage, "--env", "production", env={"SOPS_AGE_KEY_FILE": str(key_file)})
    return proc.returncode, "\n".join(error_lines(proc.stderr))


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


def test_missing_plan_secrets_file_says_run_init_plan_key(sesame: Sesame, tmp_path: Path) -> None:
    key, _ = _team_key(tmp_path)
    sesame.write(production_config())
    env = {"SOPS_AGE_KEY_FILE": str(key)}
    proc = sesame("plan", "--env", "production", "--read-only", env=env)
    err = "\n".join(error_lines(proc.stderr))
    _assert_refused(sesame, proc.returncode, err, "secrets.plan.yaml: no such file")
    assert "fix: run `sesame init --plan-key` to create it" in err


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
    _assert_refused(sesame, rc, err, "line 1 column 7: the [ opened here is never closed")


def test_wrong_age_key_is_refused(sesame: Sesame, tmp_path: Path) -> None:
    _, recipient = _team_key(tmp_path, "team.txt")
    other, _ = _team_key(tmp_path, "other.txt")
    secrets.encrypt(FULL, sesame.top / "secrets.yaml", [recipient])
    rc, err = _production(sesame, other)
    _assert_refused(sesame, rc, err, "age key cannot decrypt", "SOPS_AGE_KEY_FILE")


@pytest.mark.parametrize("where", ["named file missing", "named file without a key", "default"])
def test_a_missing_age_key_names_the_path_looked_at_and_the_fix(
    sesame: Sesame, tmp_path: Path, where: str
) -> None:
    _, recipient = _team_key(tmp_path, "team.txt")
    secrets.encrypt(FULL, sesame.top / "secrets.yaml", [recipient])
    sesame.write(production_config())
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "SOPS_AGE_KEY": ""}
    if where == "default":
        looked_at, how = home / ".config/sops/age/keys.txt", "SOPS_AGE_KEY_FILE is not set"
        env["SOPS_AGE_KEY_FILE"] = ""
    else:
        looked_at, how = tmp_path / "keys.txt", "(SOPS_AGE_KEY_FILE)"
        env["SOPS_AGE_KEY_FILE"] = str(looked_at)
    if where == "named file without a key":
        looked_at.write_text("# the key was never pasted here\n")
    proc = sesame("plan", "--env", "production", env=env)
    err = "\n".join(error_lines(proc.stderr))
    state = "holds no AGE-SECRET-KEY- line" if "without" in where else "does not exist"
    _assert_refused(sesame, proc.returncode, err, f"no age key: {looked_at}", how, state)
    assert "fix: put the team's age key file there, or set SOPS_AGE_KEY_FILE" in err


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


# -- values as written, and a tampered file --------------------------------------------


def _encrypt_text(text: str, path: Path, recipient: str) -> None:
    """Encrypt YAML as a person typed it in `sops secrets.yaml` (sops types the scalars)."""
    secrets.encrypt_yaml(text.encode(), path, [recipient])


def _typed(**lines: str) -> str:
    """FULL as YAML text, with some values written as the given raw YAML."""
    return "".join(f"{k}: {lines.get(k, repr(v))}\n" for k, v in FULL.items()) + "".join(
        f"{k}: {v}\n" for k, v in lines.items() if k not in FULL
    )


# the sops a fix names: the venv's (not on PATH), absolute from the CLI's directory
VENV_SOPS = str(Path(sys.executable).with_name("sops"))
ACCOUNT_DIGITS = "123456789012345678901234567890"

WRITTEN = {
    "all-digit account ID": (
        _typed(CLOUDFLARE_ACCOUNT_ID=ACCOUNT_DIGITS),
        "CLOUDFLARE_ACCOUNT_ID is a number, not text (unquoted, YAML reads it so and sops "
        "stores it so, which can lose digits); fix: run `sops edit secrets.yaml` and quote it: "
        'CLOUDFLARE_ACCOUNT_ID: "..."',
    ),
    "true as a token": (
        _typed(CLOUDFLARE_API_TOKEN="true"),
        "CLOUDFLARE_API_TOKEN is true/false, not text (unquoted, YAML reads it so and sops "
        "stores it so, which can lose digits); fix: run `sops edit secrets.yaml` and quote it: "
        'CLOUDFLARE_API_TOKEN: "..."',
    ),
    "nested map": (
        _typed(R2_ACCESS_KEY_ID="{a: 1}"),
        "R2_ACCESS_KEY_ID is a nested mapping or list, not one value; fix: run `sops "
        "edit secrets.yaml` and write R2_ACCESS_KEY_ID: value",
    ),
    "newline in the token": (
        _typed(CLOUDFLARE_API_TOKEN="|\n  tok-en-123"),
        "CLOUDFLARE_API_TOKEN contains a line break (a `|` block adds one at the end); fix: "
        "run `sops edit secrets.yaml` and write the value on one line, quoted",
    ),
    "space in a key": (
        _typed(AWS_SECRET_ACCESS_KEY="'abc def'"),
        "AWS_SECRET_ACCESS_KEY contains a space or tab; fix: run `sops edit secrets.yaml` and "
        "remove it (keys and tokens have none)",
    ),
    "control character": (
        _typed(R2_SECRET_ACCESS_KEY='"abc\\x07"'),
        "R2_SECRET_ACCESS_KEY contains a non-ASCII or control character; fix: run `sops "
        "edit secrets.yaml` and paste it again",
    ),
}


@pytest.mark.parametrize("case", list(WRITTEN), ids=list(WRITTEN))
def test_secret_value_not_usable_as_written_is_its_own_line(
    sesame: Sesame, tmp_path: Path, case: str
) -> None:
    text, want = WRITTEN[case]
    key, recipient = _team_key(tmp_path)
    _encrypt_text(text, sesame.top / "secrets.yaml", recipient)
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err)
    path = str(sesame.top / "secrets.yaml")
    shown = err.replace(path, "secrets.yaml").replace(VENV_SOPS, "sops")
    assert shown == f"sesame: secrets.yaml: {want}"
    assert "tok-en" not in err and "abc" not in err  # never a value


def test_values_stay_strings_as_written_and_extra_keys_are_tolerated(tmp_path: Path) -> None:
    key, recipient = _team_key(tmp_path)
    path = tmp_path / "secrets.yaml"
    text = _typed(
        CLOUDFLARE_ACCOUNT_ID=f'"{ACCOUNT_DIGITS}"',
        R2_ACCESS_KEY_ID='"0123"',
        GITHUB_TOKEN="ghp_seedtoken",
        VULTR_API="VULTRKEY123",
        SEED_NOTES="{owner: platform}",
    )
    _encrypt_text(text, path, recipient)
    loaded = secrets.load(path, key.read_text())
    assert loaded.get("CLOUDFLARE_ACCOUNT_ID") == ACCOUNT_DIGITS
    assert loaded.get("R2_ACCESS_KEY_ID") == "0123"
    # Extra keys do not stop anything; their text values are masked like the others.
    assert {"ghp_seedtoken", "VULTRKEY123"} <= set(loaded.secret_values())


def _tamper(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


TAMPERED = {
    "a value's ciphertext": lambda t: re.sub(
        r"(R2_ACCESS_KEY_ID: ENC\[AES256_GCM,data:)(.)",
        lambda m: m[1] + ("A" if m[2] != "A" else "B"),
        t,
    ),
    "the MAC": lambda t: re.sub(
        r"(mac: ENC\[AES256_GCM,data:)(.)", lambda m: m[1] + ("A" if m[2] != "A" else "B"), t
    ),
    "a key deleted": lambda t: re.sub(r"GITHUB_TOKEN: .*\n", "", t),
    "a plaintext value slipped in": lambda t: t.replace(
        "GITHUB_TOKEN:", "EXTRA: plain\nGITHUB_TOKEN:"
    ),
}


@pytest.mark.parametrize("case", list(TAMPERED), ids=list(TAMPERED))
def test_tampered_file_is_reported_as_tampered_not_as_a_wrong_key(
    sesame: Sesame, tmp_path: Path, case: str
) -> None:
    key, recipient = _team_key(tmp_path)
    path = sesame.top / "secrets.yaml"
    secrets.encrypt({**FULL, "GITHUB_TOKEN": "ghp_x"}, path, [recipient])
    before = path.read_text()
    path.write_text(TAMPERED[case](before))
    assert path.read_text() != before
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err, "changed outside sops or is corrupt", "git log -p")
    assert "age key" not in err


def test_corrupt_age_block_is_named(sesame: Sesame, tmp_path: Path) -> None:
    key, recipient = _team_key(tmp_path)
    path = sesame.top / "secrets.yaml"
    secrets.encrypt(FULL, path, [recipient])
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if "BEGIN AGE ENCRYPTED FILE" in ln) + 2
    lines[at] = lines[at][:20] + ("x" if lines[at][20] != "x" else "y") + lines[at][21:]
    path.write_text("".join(lines))
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err, "age-encrypted data key in its sops block is corrupt")


def test_duplicate_key_in_the_encrypted_file_names_both_lines(
    sesame: Sesame, tmp_path: Path
) -> None:
    key, recipient = _team_key(tmp_path)
    path = sesame.top / "secrets.yaml"
    secrets.encrypt(FULL, path, [recipient])
    lines = path.read_text().splitlines(keepends=True)
    token = next(i for i, ln in enumerate(lines) if ln.startswith("CLOUDFLARE_API_TOKEN:"))
    path.write_text("".join([*lines[: token + 1], lines[token], *lines[token + 1 :]]))
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err)
    assert err == (
        f"sesame: {path}: line {token + 2}: duplicate key 'CLOUDFLARE_API_TOKEN' (first at line "
        f"{token + 1}); fix: keep one (YAML would silently keep only the last)"
    )


def test_half_set_aws_keys_message_names_the_file(sesame: Sesame, tmp_path: Path) -> None:
    key, recipient = _team_key(tmp_path)
    secrets.encrypt({**FULL, "AWS_ACCESS_KEY_ID": ""}, sesame.top / "secrets.yaml", [recipient])
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err, f"fix: run `{VENV_SOPS} edit {sesame.top / 'secrets.yaml'}`")
    assert "{" not in err


@pytest.mark.parametrize(
    ("make", "want"),
    [
        (lambda p: p.mkdir(), "is a directory; fix: point it at the sops file"),
        (
            lambda p: p.symlink_to("/dev/zero"),
            "is larger than the 1,048,576 bytes sesame reads",
        ),
        (
            lambda p: p.write_bytes(b"\xff\xfe" + "sops: 1\n".encode("utf-16-le")),
            "is not UTF-8 text, so not a sops YAML file; fix: restore it from git",
        ),
        (
            lambda p: p.write_text("sops: {}\n#" + "x" * (1024 * 1024) + "\n"),
            "is larger than the 1,048,576 bytes sesame reads; fix: check that it is the right "
            "file (sesame.yaml and secrets.yaml are a few KB)",
        ),
    ],
    ids=["directory", "/dev/zero", "UTF-16", "oversized"],
)
def test_unreadable_secrets_file_is_one_line(sesame: Sesame, tmp_path: Path, make, want) -> None:
    key, _ = _team_key(tmp_path)
    make(sesame.top / "secrets.yaml")
    rc, err = _production(sesame, key)
    _assert_refused(sesame, rc, err)
    assert err.startswith(f"sesame: {sesame.top / 'secrets.yaml'}: {want}"), err
