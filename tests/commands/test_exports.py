"""Credentials under the names apps read: presets, a Kubernetes Secret, and delivery into
SSM Parameter Store and Secrets Manager that follows a rotation (real terraform, sops,
moto's SSM, Secrets Manager and IAM)."""

from __future__ import annotations

import json
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from sesame import config as sesame_config
from sesame.commands.credentials import MASKED
from sesame.config import Config
from sesame.errors import ConfigError
from sesame.sandbox import world
from sesame.target import workdir_for
from testing import Sesame, domain, make_config, sandbox_smtp

STORE = "/apps/web/ses"
SECRET = "apps/web/ses"
SEED_004 = {
    "AWS_SES_SMTP_USERNAME",
    "AWS_SES_SMTP_PASSWORD",
    "AWS_SES_SMTP_ADDRESS",
    "AWS_SES_REGION",
    "DEFAULT_FROM_EMAIL",
}
CONFIG = make_config(
    {
        **domain(
            "a.example",
            {
                "web": {
                    "kind": "smtp",
                    "from": ["app@a.example"],
                    "export": {
                        "preset": "rails-smtp",
                        "parameter_store": STORE,
                        "secrets_manager": SECRET,
                    },
                }
            },
        ),
        **domain(
            "b.example",
            {
                "platform": {
                    "kind": "api",
                    "from": ["app@b.example"],
                    "export": {"preset": "aws-sdk"},
                }
            },
        ),
    },
    region="eu-west-1",
)


def _parameters(top: Path, path: str) -> dict[str, str]:
    cfg = Config.model_validate(CONFIG)
    with world.Sandbox(workdir_for(top, "sandbox"), cfg) as sb:
        got = sb.client("ssm").get_parameters_by_path(Path=path, WithDecryption=True)
        assert all(p["Type"] == "SecureString" for p in got["Parameters"])
        return {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in got["Parameters"]}


def _secret(top: Path, name: str) -> dict[str, str]:
    """What an app (or an ECS task's valueFrom) reads: the secret's current JSON; {} when
    there is no such secret."""
    cfg = Config.model_validate(CONFIG)
    with world.Sandbox(workdir_for(top, "sandbox"), cfg) as sb:
        sm = sb.client("secretsmanager")
        try:
            return json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
        except sm.exceptions.ResourceNotFoundException:
            return {}


Reader = Callable[[Path, str], dict[str, str]]
STORES: list[tuple[Reader, str]] = [(_parameters, STORE), (_secret, SECRET)]


def _app_sends(top: Path, read: Reader, where: str) -> str:
    """The Rails app of seed guide 004: reads its five names from a store (`read` at
    `where`) and sends through the sandbox's SMTP endpoint; the user name it authenticated as."""
    env = read(top, where)
    assert set(env) == SEED_004
    assert env["AWS_SES_SMTP_ADDRESS"] == "email-smtp.eu-west-1.amazonaws.com"
    assert env["AWS_SES_REGION"] == "eu-west-1"
    with sandbox_smtp(top, CONFIG) as smtp:
        smtp.login(env["AWS_SES_SMTP_USERNAME"], env["AWS_SES_SMTP_PASSWORD"])
        msg = EmailMessage()
        msg["From"], msg["To"] = env["DEFAULT_FROM_EMAIL"], "success@simulator.amazonses.com"
        msg["Subject"] = "from the app"
        msg.set_content("hello")
        smtp.send_message(msg)
    return env["AWS_SES_SMTP_USERNAME"]


def test_apps_reading_parameter_store_or_secrets_manager_send_before_and_after_a_rotation(
    sesame: Sesame,
) -> None:
    sesame.write(CONFIG)
    applied = sesame.ok("apply")
    assert f"credentials delivered to Secrets Manager {SECRET} (5 names)" in applied.stderr
    first = {where: _app_sends(sesame.top, read, where) for read, where in STORES}
    assert first[STORE] == first[SECRET]

    sesame.ok("rotate", "web")
    sesame.ok("apply")
    # The delivered copies follow the rotation; the old key stays under previous until retired.
    second = {where: _app_sends(sesame.top, read, where) for read, where in STORES}
    assert second[STORE] == second[SECRET] != first[SECRET]
    for read, where in STORES:
        assert _app_sends(sesame.top, read, f"{where}/previous") == first[where]

    sesame.ok("rotate", "--retire", "web")
    sesame.ok("apply")
    sesame.ok("rotate", "--retire", "web")
    sesame.ok("apply")
    for read, where in STORES:
        assert _app_sends(sesame.top, read, where) == second[where]
        assert read(sesame.top, f"{where}/previous") == {}

    listed = sesame.ok("credentials", "platform")
    env = listed.stdout
    # Masked, and saying so where a pipe keeps it: no export passes for the real one.
    assert env.splitlines()[0] == f"# {MASKED}" and MASKED in listed.stderr
    assert [line.split("=")[0] for line in env.splitlines()[1:]] == [
        "AWS_SDK_REGION",
        "AWS_SDK_ACCESS_KEY_ID",
        "AWS_SDK_SECRET_ACCESS_KEY",
    ]
    assert "AWS_SDK_SECRET_ACCESS_KEY='********'" in env
    shown = sesame.ok("credentials", "web", "--format", "k8s").stdout
    assert shown.startswith(f"# {MASKED}\n")
    manifest = yaml.safe_load(shown)
    assert manifest["kind"] == "Secret" and manifest["metadata"]["name"] == "ses-web"
    assert set(manifest["stringData"]) == SEED_004
    assert manifest["stringData"]["AWS_SES_SMTP_PASSWORD"] == "********"
    assert manifest["stringData"]["AWS_SES_SMTP_USERNAME"] == second[STORE]
    password = _parameters(sesame.top, STORE)["AWS_SES_SMTP_PASSWORD"]
    assert all(password not in out for out in sesame.outputs)


@pytest.mark.parametrize(
    ("sender", "message"),
    [
        (
            {"kind": "api", "from": ["a@a.example"], "export": {"preset": "rails-smtp"}},
            "preset rails-smtp is for smtp senders, this one is api",
        ),
        (
            {"kind": "role", "role": "R", "from": ["a@a.example"], "export": {"names": {}}},
            "a role sender has no credentials to export",
        ),
        (
            {"kind": "smtp", "from": ["a@a.example"], "export": {"names": {"X": "AWS_KEY"}}},
            "names.X: 'AWS_KEY' is not a field of a smtp sender",
        ),
        (
            {"kind": "smtp", "from": ["a@a.example"], "export": {"parameter_store": "apps/x"}},
            "'apps/x' is not a Parameter Store path",
        ),
        (
            {"kind": "smtp", "from": ["a@a.example"], "export": {"secrets_manager": "web-AbCdEf"}},
            "'web-AbCdEf' is not a Secrets Manager name sesame can use",
        ),
    ],
)
def test_a_bad_export_is_one_line(tmp_path: Path, sender: dict, message: str) -> None:
    path = tmp_path / "sesame.yaml"
    path.write_text(yaml.safe_dump(make_config(domain("a.example", {"s": sender}))))
    with pytest.raises(ConfigError, match="fix:") as err:
        sesame_config.load(path)
    assert message in str(err.value) and "\n" not in str(err.value)
