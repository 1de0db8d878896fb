"""Every bad configuration: one line naming the file, the key and the fix; exit 3; nothing run."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sesame.errors import ConfigError
from testing import Sesame, example_config


def _with(mutate) -> dict:
    cfg = copy.deepcopy(example_config())
    mutate(cfg)
    return cfg


def _sender(cfg: dict) -> dict:
    return cfg["domains"]["example.com"]["senders"]["app-smtp"]


CASES = {
    "unknown top-level key": (lambda c: c.update(regoin="eu-west-1"), "regoin", "unknown key"),
    "unknown sender key": (
        lambda c: _sender(c).update(form=["x@example.com"]),
        "app-smtp.form",
        "unknown key",
    ),
    "bad domain": (
        lambda c: c["domains"].update({"Exa mple..com": {}}),
        "domains",
        "is not a domain name",
    ),
    "domain with scheme": (
        lambda c: c["domains"].update({"https://example.net": {}}),
        "domains",
        "is not a domain name",
    ),
    "bad address": (
        lambda c: _sender(c).update({"from": ["not-an-address"]}),
        "from",
        "is not an email address",
    ),
    "address outside its domain": (
        lambda c: _sender(c).update({"from": ["noreply@evil.example"]}),
        "app-smtp.from",
        "is outside example.com",
    ),
    "bad region": (lambda c: c.update(region="eu-west-9"), "region", "not a region where SES"),
    "missing backend": (lambda c: c.pop("backend"), "backend", "required key is missing"),
    "bad R2 account id": (
        lambda c: c["backend"].update(account_id="nope"),
        "backend.account_id",
        "not a Cloudflare account ID",
    ),
    "role sender without role": (
        lambda c: c["domains"]["example.org"]["senders"]["web-ec2"].pop("role"),
        "web-ec2",
        "needs `role",
    ),
    "duplicate sender names": (
        lambda c: c["domains"]["example.org"]["senders"].update(
            {"app-smtp": {"kind": "smtp", "from": ["a@example.org"]}}
        ),
        "domains.example.org.senders.app-smtp",
        "must be unique",
    ),
    "bad dmarc policy": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(policy="block"),
        "dmarc.policy",
        "'block' is not allowed",
    ),
    "bad dmarc report uri": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(rua=["dmarc@example.com"]),
        "dmarc.rua",
        "mailto:",
    ),
    "bad sender kind": (lambda c: _sender(c).update(kind="ses"), "kind", "'ses' is not allowed"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("verb", ["plan", "apply"])
def test_bad_config_is_one_line_config_exit_code_and_nothing_runs(
    sesame: Sesame, case: str, verb: str
) -> None:
    mutate, key, words = CASES[case]
    sesame.write(_with(mutate))
    proc = sesame(verb)
    assert proc.returncode == ConfigError.exit_code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    [line] = lines
    assert line.startswith("sesame: sesame.yaml:"), line
    assert key in line and words in line and "fix:" in line, line
    assert not (sesame.top / ".sesame").exists()  # no sandbox, no terraform, no work dir


def test_malformed_yaml_is_one_line(sesame: Sesame) -> None:
    sesame.write("region: eu-west-1\ndomains:\n  example.com: [\n")
    proc = sesame("plan")
    assert proc.returncode == ConfigError.exit_code
    assert proc.stderr.strip() == (
        "sesame: sesame.yaml: line 4 is not valid YAML; fix: check indentation and quoting"
    )


def test_missing_config_file_names_the_fix(sesame: Sesame) -> None:
    proc = sesame("plan")
    assert proc.returncode == ConfigError.exit_code
    assert "sesame.yaml: no such file; fix:" in proc.stderr


def test_example_config_is_valid(sesame: Sesame) -> None:
    sesame.write(example_config())
    assert sesame.ok("validate").stdout.strip() == "sesame.yaml: ok (2 domain(s))"


def _unreadable_configs(top: Path) -> dict[str, str]:
    """Files that are no sesame.yaml at all: each is one line before any YAML parsing."""
    (top / "a-directory").mkdir()
    (top / "utf16.yaml").write_bytes("region: eu-west-1\n".encode("utf-16"))
    (top / "utf16le.yaml").write_bytes("region: eu-west-1\n".encode("utf-16-le"))
    (top / "latin1.yaml").write_bytes(b"region: eu-west-1\ntags: {team: \xe9quipe}\n")
    with (top / "huge.yaml").open("wb") as fh:
        fh.write(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    (top / "deep.yaml").write_text("region: " + "[" * 5000 + "]" * 5000 + "\n")
    return {
        "deep.yaml": "is nested too deeply",
        "a-directory": "is a directory",
        "/dev/zero": "is not a regular file",
        "utf16.yaml": "is UTF-16 or binary",
        "utf16le.yaml": "is UTF-16 or binary",
        "latin1.yaml": "is not UTF-8 text",
        "huge.yaml": "is over 1024 KiB",
        "missing.yaml": "no such file",
    }


def test_a_config_path_that_is_no_yaml_text_file_is_one_line_and_nothing_runs(
    sesame: Sesame,
) -> None:
    for path, words in _unreadable_configs(sesame.top).items():
        proc = sesame("--config", path, "plan")
        assert proc.returncode == ConfigError.exit_code, (path, proc.stderr)
        [line] = proc.stderr.strip().splitlines()
        assert line.startswith(f"sesame: {path}: {words}") and "fix:" in line, line
    assert not (sesame.top / ".sesame").exists()
