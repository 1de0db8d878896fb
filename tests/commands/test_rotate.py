"""Key rotation through the reviewed plan, in the sandbox: real terraform, providers, sops,
moto's IAM and the SMTP endpoint that authenticates against it."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import yaml

from sesame import secrets
from sesame.config import Config
from sesame.errors import ConfigError
from sesame.sandbox import clock, keys, world
from sesame.smtp import smtp_password_v4
from sesame.target import workdir_for
from testing import AppliedCopy, domain, make_config, sandbox_smtp

REGION = "eu-west-1"
CONFIG = make_config(
    {
        **domain("a.example", {"a-smtp": {"kind": "smtp", "from": ["app@a.example"]}}),
        **domain("b.example", {"b-api": {"kind": "api", "from": ["app@b.example"]}}),
        **domain(
            "c.example",
            {"c-role": {"kind": "role", "role": "EC2-SSM-Role", "from": ["web@c.example"]}},
        ),
    },
    region=REGION,
)


def _creds(top: Path) -> dict[str, Any]:
    path = workdir_for(top, "sandbox") / "credentials.yaml"
    return secrets.decrypt(path, keys.age_key())["senders"]


def _smtp_login(fields: dict[str, Any]) -> tuple[str, str]:
    if "SMTP_USERNAME" in fields:
        return fields["SMTP_USERNAME"], fields["SMTP_PASSWORD"]
    return fields["AWS_ACCESS_KEY_ID"], smtp_password_v4(fields["AWS_SECRET_ACCESS_KEY"], REGION)


def _authenticates(top: Path, fields: dict[str, Any]) -> bool:
    """Does SES's SMTP interface (the sandbox's, backed by moto's IAM) accept this key?"""
    with sandbox_smtp(top, CONFIG) as smtp:
        try:
            smtp.login(*_smtp_login(fields))
        except smtplib.SMTPAuthenticationError:
            return False
        return True


def _iam_keys(top: Path) -> dict[str, list[tuple[str, str]]]:
    cfg = Config.model_validate(CONFIG)
    with world.Sandbox(workdir_for(top, "sandbox"), cfg) as sb:
        iam = sb.client("iam")
        return {
            user: sorted(
                (k["AccessKeyId"], k["Status"])
                for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
            )
            for user in ("a-smtp", "b-api")
        }


def _keys_file(top: Path) -> dict[str, Any]:
    return yaml.safe_load((top / "sesame.keys.yaml").read_text())["senders"]


def test_rotation_is_a_planned_generation_change_proven_before_the_old_key_retires(
    applied_copy: AppliedCopy,
) -> None:
    sesame = applied_copy("rotate", CONFIG)
    first = _creds(sesame.top)
    assert first["a-smtp"]["key_generation"] == 1 and "previous" not in first["a-smtp"]

    out = sesame.ok("rotate", "--all").stdout
    assert "c-role: role sender, nothing to rotate" in out
    assert _keys_file(sesame.top) == {
        "a-smtp": {"generation": 2, "previous": "Active"},
        "b-api": {"generation": 2, "previous": "Active"},
    }
    # The plan shows the new keys beside the old ones: two created, nothing replaced.
    plan = sesame("plan", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stderr
    text = plan.stdout + plan.stderr
    assert 'aws_iam_access_key.alternate["a-smtp"]' in text
    assert 'aws_iam_access_key.alternate["b-api"]' in text
    assert "2 to add, 0 to change, 0 to destroy" in text

    sesame.ok("apply")
    second = _creds(sesame.top)
    for name, key_id in (("a-smtp", "SMTP_USERNAME"), ("b-api", "AWS_ACCESS_KEY_ID")):
        assert second[name]["key_generation"] == 2
        assert second[name]["previous"]["key_generation"] == 1
        assert second[name]["previous"][key_id] == first[name][key_id]  # old key kept as is
        assert second[name][key_id] != first[name][key_id]
        assert _authenticates(sesame.top, second[name])
        assert _authenticates(sesame.top, second[name]["previous"])  # apps switch at leisure
    sesame.ok("verify")

    out = sesame.ok("rotate", "--retire").stdout
    assert "a-smtp: generation 2 proven; generation 1's key will be deactivated" in out
    assert "b-api: generation 2 proven" in out
    keys_file = (sesame.top / "sesame.keys.yaml").read_text()
    again = sesame("rotate", "--retire")  # before the apply that deactivates: not skipped
    assert again.returncode == ConfigError.exit_code, again.stderr
    assert "generation 1's key is not deactivated yet (IAM holds it Active)" in again.stderr
    assert (sesame.top / "sesame.keys.yaml").read_text() == keys_file
    sesame.ok("apply")
    for name in ("a-smtp", "b-api"):
        assert _authenticates(sesame.top, second[name])
        assert not _authenticates(sesame.top, second[name]["previous"])
    assert _creds(sesame.top)["a-smtp"]["previous"]["status"] == "Inactive"
    sesame.ok("verify")

    out = sesame.ok("rotate", "--retire").stdout
    assert "a-smtp: generation 2 proven; generation 1's key will be deleted" in out
    plan = sesame("plan", "--detailed-exitcode")
    assert "0 to add, 0 to change, 2 to destroy" in plan.stdout + plan.stderr
    sesame.ok("apply")
    third = _creds(sesame.top)
    assert "previous" not in third["a-smtp"] and "previous" not in third["b-api"]
    held = _iam_keys(sesame.top)
    assert held["a-smtp"] == [(second["a-smtp"]["SMTP_USERNAME"], "Active")]
    assert held["b-api"] == [(second["b-api"]["AWS_ACCESS_KEY_ID"], "Active")]
    assert _keys_file(sesame.top) == {"a-smtp": {"generation": 2}, "b-api": {"generation": 2}}
    for output in sesame.outputs:  # no secret reached the terminal
        for name in ("a-smtp", "b-api"):
            for fields in (second[name], second[name]["previous"]):
                for secret in ("SMTP_PASSWORD", "AWS_SECRET_ACCESS_KEY"):
                    if secret in fields:
                        assert fields[secret] not in output


def test_a_failed_proof_stops_the_rotation_with_the_old_key_untouched(
    applied_copy: AppliedCopy,
) -> None:
    sesame = applied_copy("rotate", CONFIG)
    sesame.ok("rotate", "a-smtp")
    sesame.ok("apply")
    new = _creds(sesame.top)["a-smtp"]
    cfg = Config.model_validate(CONFIG)
    with world.Sandbox(workdir_for(sesame.top, "sandbox"), cfg) as sb:  # a console edit
        sb.client("iam").update_access_key(
            UserName="a-smtp", AccessKeyId=new["SMTP_USERNAME"], Status="Inactive"
        )
    before = (sesame.top / "sesame.keys.yaml").read_text()
    proc = sesame("rotate", "--retire", "a-smtp")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("sesame: a-smtp: generation 2's key failed its proof (auth: 535")
    assert "the previous key stays active" in lines[0]
    assert (sesame.top / "sesame.keys.yaml").read_text() == before
    assert _authenticates(sesame.top, new["previous"])


def test_a_key_older_than_the_limit_fails_verify_naming_the_sender_and_the_fix(
    applied_copy: AppliedCopy,
) -> None:
    sesame = applied_copy("rotate", CONFIG)
    sesame.ok("verify", "--max-key-age", "90d")
    assert clock.age_keys(workdir_for(sesame.top, "sandbox"), 91, users=["a-smtp"]) == 1

    status = sesame.ok("status").stdout
    assert "a-smtp" in status and "91d" in status and "current" in status

    proc = sesame("verify", "--max-key-age", "90d")
    assert proc.returncode == 1
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1, proc.stdout
    assert failed[0].startswith("FAIL a-smtp: key age: key ")
    assert "(generation 1) is 91 days old, over 90d" in failed[0]
    assert "fix: sesame rotate a-smtp, then plan and apply" in failed[0]
    assert any(line.startswith("ok   b-api: key age:") for line in proc.stdout.splitlines())

    proc = sesame("verify", "--max-key-age", "ninety")
    assert proc.returncode == 3
    assert "is not an age; fix: write days or hours, e.g. 90d" in proc.stderr
    proc = sesame("verify", "--max-key-age", "0d")  # an age, but one every key is over
    assert proc.returncode == 3
    assert "'0d' is zero: every key would be too old; fix: give the age" in proc.stderr
