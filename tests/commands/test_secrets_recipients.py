"""`sesame secrets recipients add|remove`: real sops and age keys, both encrypted files."""

from __future__ import annotations

from pathlib import Path

import pyrage
import pytest
import yaml

from sesame import recipients, secrets
from sesame.errors import ConfigError, SecretsError
from testing import Sesame

SECRETS = {"AWS_ACCESS_KEY_ID": "FAKEACCESSKEYEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s" * 40}
CREDENTIALS = {
    "senders": {
        "a-smtp": {"kind": "smtp", "SMTP_USERNAME": "FAKESMTPUSERNAMEAAAA", "SMTP_PASSWORD": "p"},
        "b-api": {"kind": "api", "AWS_ACCESS_KEY_ID": "FAKEAPIACCESSKEYBBBB"},
        "c-role": {"kind": "role", "IAM_ROLE": "EC2-SSM-Role"},
    }
}


def _team(top: Path, names: list[str]) -> dict[str, pyrage.x25519.Identity]:
    """Age identities, .sops.yaml naming them all, and both files encrypted for them."""
    ids = {n: pyrage.x25519.Identity.generate() for n in names}
    for n, i in ids.items():
        (top / f"{n}.key").write_text(f"{i}\n")
    public = [str(i.to_public()) for i in ids.values()]
    rule = {"path_regex": r"(^|/)(secrets|credentials)\.yaml$", "age": ",".join(public)}
    (top / ".sops.yaml").write_text(yaml.safe_dump({"creation_rules": [rule]}))
    secrets.encrypt(SECRETS, top / "secrets.yaml", public)
    secrets.encrypt(CREDENTIALS, top / "credentials.yaml", public)
    return ids


def _as(top: Path, name: str) -> dict[str, str]:
    return {"SOPS_AGE_KEY_FILE": str(top / f"{name}.key")}


def test_remove_locks_the_leaver_out_of_both_files_and_changes_nothing_else(
    sesame: Sesame,
) -> None:
    ids = _team(sesame.top, ["stays", "leaves"])
    leaver = str(ids["leaves"].to_public())
    before = {f: (sesame.top / f).read_text() for f in ("secrets.yaml", "credentials.yaml")}

    proc = sesame.ok("secrets", "recipients", "remove", leaver, env=_as(sesame.top, "stays"))
    assert "re-encrypted with a fresh data key: secrets.yaml, credentials.yaml" in proc.stdout
    assert "the credentials of a-smtp, b-api; rotate them: sesame rotate a-smtp b-api" in (
        proc.stdout
    )
    for name, plain in (("secrets.yaml", SECRETS), ("credentials.yaml", CREDENTIALS)):
        path = sesame.top / name
        with pytest.raises(SecretsError, match="the age key cannot decrypt it"):
            secrets.decrypt(path, str(ids["leaves"]))
        assert secrets.decrypt(path, str(ids["stays"])) == plain  # nothing else changed
        assert secrets.recipients_of(path) == [str(ids["stays"].to_public())]
        old = yaml.safe_load(before[name])
        new = yaml.safe_load(path.read_text())
        # A fresh data key: every value is encrypted anew, not just the recipient list.
        assert all(new[k] != old[k] for k in old if k != "sops")
    rules = yaml.safe_load((sesame.top / ".sops.yaml").read_text())["creation_rules"]
    assert rules[0]["age"] == str(ids["stays"].to_public())
    for secret in ("s" * 40, "FAKEACCESSKEYEXAMPLE"):
        assert all(secret not in out for out in sesame.outputs)


def test_add_lets_the_newcomer_open_both_files(sesame: Sesame) -> None:
    ids = _team(sesame.top, ["first"])
    newcomer = pyrage.x25519.Identity.generate()
    sesame.ok(
        "secrets", "recipients", "add", str(newcomer.to_public()), env=_as(sesame.top, "first")
    )
    assert secrets.decrypt(sesame.top / "secrets.yaml", str(newcomer)) == SECRETS
    assert secrets.decrypt(sesame.top / "credentials.yaml", str(newcomer)) == CREDENTIALS
    assert secrets.decrypt(sesame.top / "secrets.yaml", str(ids["first"])) == SECRETS


def test_the_plan_only_keys_rule_is_left_alone_by_add_and_remove(sesame: Sesame) -> None:
    """After `sesame init --plan-key` the plan-only set's rule comes first in .sops.yaml:
    a team member goes into the team's rule only, never next to the pull-request key."""
    ids = _team(sesame.top, ["first"])
    plan_key = str(pyrage.x25519.Identity.generate().to_public())
    doc = yaml.safe_load((sesame.top / ".sops.yaml").read_text())
    plan_rule = {"path_regex": recipients.PLAN_RULE, "age": plan_key}
    doc["creation_rules"].insert(0, plan_rule)
    (sesame.top / ".sops.yaml").write_text(yaml.safe_dump(doc))
    newcomer = str(pyrage.x25519.Identity.generate().to_public())
    first = str(ids["first"].to_public())

    done = sesame.ok("secrets", "recipients", "add", newcomer, env=_as(sesame.top, "first"))
    assert "2 recipient(s) in .sops.yaml" in done.stdout
    rules = yaml.safe_load((sesame.top / ".sops.yaml").read_text())["creation_rules"]
    assert rules[0] == plan_rule  # the plan-only key's rule, untouched
    assert rules[1]["age"] == f"{first},{newcomer}"
    assert secrets.recipients_of(sesame.top / "secrets.yaml") == [first, newcomer]

    refused = sesame("secrets", "recipients", "remove", plan_key, env=_as(sesame.top, "first"))
    assert refused.returncode == ConfigError.exit_code  # not a team member: nothing to rotate
    assert yaml.safe_load((sesame.top / ".sops.yaml").read_text())["creation_rules"] == rules


def test_refusals_are_one_line_and_change_nothing(sesame: Sesame) -> None:
    ids = _team(sesame.top, ["only"])
    files = {p: p.read_bytes() for p in sesame.top.iterdir()}
    only = str(ids["only"].to_public())
    stranger = str(pyrage.x25519.Identity.generate().to_public())
    for args, message in (
        (("remove", only), "that is the only recipient: nobody could open the files"),
        (("remove", stranger), "is not a recipient in .sops.yaml; fix: check the key"),
        (("add", only), "is already a recipient; fix: nothing to do"),
        (("add", "age1nope"), "'age1nope' is not an age public key; fix:"),
    ):
        proc = sesame("secrets", "recipients", *args, env=_as(sesame.top, "only"))
        assert proc.returncode == 3, proc.stderr  # ConfigError: nothing was run
        assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr
    assert {p: p.read_bytes() for p in sesame.top.iterdir()} == files


def test_without_a_key_that_opens_the_files_nothing_changes(sesame: Sesame) -> None:
    _team(sesame.top, ["a", "b"])
    outsider = pyrage.x25519.Identity.generate()
    (sesame.top / "outsider.key").write_text(f"{outsider}\n")
    files = {p: p.read_bytes() for p in sesame.top.iterdir()}
    proc = sesame(
        "secrets",
        "recipients",
        "add",
        str(outsider.to_public()),
        env={"SOPS_AGE_KEY_FILE": str(sesame.top / "outsider.key")},
    )
    assert proc.returncode == 4  # SecretsError: the age key cannot open the files
    assert "secrets.yaml: sops could not re-encrypt it" in proc.stderr
    assert "nothing changed" in proc.stderr
    assert {p: p.read_bytes() for p in sesame.top.iterdir()} == files
