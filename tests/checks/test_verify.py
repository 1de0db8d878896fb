"""verify, status and doctor against the sandbox: DNS over a real DNS server, SMTP over TLS."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesame import credentials, secrets
from sesame.checks import doctor
from sesame.config import Config
from sesame.environments import open_target
from sesame.sandbox import keys, world
from sesame.smtp import smtp_password_v4
from sesame.tf import state
from testing import (
    PRODUCTION_ACCOUNT_ID,
    Sesame,
    applied_sandbox,
    domain,
    make_config,
    open_sandbox,
)

ZONE = "verify.example"
CONFIG = make_config(
    domain(ZONE, {"v-smtp": {"kind": "smtp", "from": [f"app@{ZONE}"]}}, dmarc={"policy": "reject"})
)
CFG = Config.model_validate(CONFIG)


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sesame]:
    yield from applied_sandbox(CONFIG, tmp_path_factory.mktemp("verify"))


def _creds_path(sesame: Sesame) -> Path:
    return sesame.top / ".sesame/sandbox/credentials.yaml"


def _tamper_password(sesame: Sesame, password_of) -> dict:
    """Rewrite v-smtp's SMTP_PASSWORD in credentials.yaml; returns the original entries."""
    original = credentials.load(_creds_path(sesame), keys.age_key())
    with open_target("sandbox", CFG, sesame.top) as target:
        secret = state.outputs(CFG, target)["sender_secrets"]["v-smtp"]["secret_access_key"]
    changed = copy.deepcopy(original)
    changed["v-smtp"]["SMTP_PASSWORD"] = password_of(secret)
    credentials.save(changed, _creds_path(sesame), [str(keys.age_identity().to_public())])
    return original


def _restore_creds(sesame: Sesame, original: dict) -> None:
    credentials.save(original, _creds_path(sesame), [str(keys.age_identity().to_public())])


def _failures(proc) -> list[str]:
    return [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]


def test_verify_passes_and_status_shows_success_with_2048_bit_keys(applied: Sesame) -> None:
    proc = applied("verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("passed, 0 failed")
    assert (
        "v-smtp: least privilege: From sesame-verify-not-allowed@verify.example refused (554)"
        in proc.stdout
    )
    report = json.loads(applied.ok("status", "--json").stdout)
    [d] = report["domains"]
    assert (d["verification_status"], d["dkim_status"], d["dkim_key_bits"]) == (
        "SUCCESS",
        "SUCCESS",
        2048,
    )
    assert d["mail_from_status"] == "SUCCESS" and d["configuration_set"] == "verify-example"
    assert report["account"]["production_access"] is False
    # The accepted test message reached the SES emulator's sent list, from the allowed address.
    with open_sandbox(applied.top, CONFIG) as sb:
        sent = sb.ses.region_state(world.ACCOUNT_ID, CFG.region).sent_messages
    assert any(m["From"] == f"app@{ZONE}" for m in sent)


def test_password_for_the_wrong_region_gets_535_and_verify_names_it(applied: Sesame) -> None:
    original = _tamper_password(applied, lambda secret: smtp_password_v4(secret, "us-east-1"))
    try:
        proc = applied("verify", "--no-send")
    finally:
        _restore_creds(applied, original)
    assert proc.returncode == 1
    [line] = _failures(proc)
    assert (
        "v-smtp: auth: 535" in line
        and "wrong region: the password was derived for us-east-1" in line
    )


def test_secret_key_as_password_gets_535_and_the_hint(applied: Sesame) -> None:
    original = _tamper_password(applied, lambda secret: secret)
    try:
        proc = applied("verify", "--no-send")
    finally:
        _restore_creds(applied, original)
    [line] = _failures(proc)
    assert "535" in line and "the secret access key was used as the password" in line
    secret_values = [v for v in proc.stdout.split() if len(v) == 40]
    assert not secret_values  # the hint never prints the secret itself


def test_deleted_dkim_cname_fails_verify_and_identity_goes_temporary_failure(
    applied: Sesame,
) -> None:
    with open_sandbox(applied.top, CONFIG) as sb:
        zone = sb.cloudflare.zone_by_name(ZONE)
        dkim = next(
            r for r in sb.cloudflare.records(zone.id) if r.name.endswith("._domainkey." + ZONE)
        )
        sb.cloudflare.delete_dns_record(sb.cf_account, zone.id, dkim.id)
    proc = applied("verify", "--no-send")
    assert proc.returncode == 1
    [line] = _failures(proc)
    assert f"CNAME {dkim.name} is missing (NXDOMAIN)" in line and "fix: publish" in line
    [d] = json.loads(applied.ok("status", "--json").stdout)["domains"]
    assert d["dkim_status"] == "TEMPORARY_FAILURE" and d["verified_for_sending"] is False
    # SES refuses to send for an identity that lost verification, as at AWS.
    assert "Email address is not verified" in applied("verify").stdout
    applied.ok("apply")  # Terraform sees the record gone and publishes it again
    assert applied("verify", "--no-send").returncode == 0


def _add(sb: world.Sandbox, name: str, kind: str, content: str, **extra: object) -> str:
    zone = sb.cloudflare.zone_by_name(ZONE)
    body = {"type": kind, "name": name, "content": content, "ttl": 300, "proxied": False}
    return sb.cloudflare.create_dns_record(sb.cf_account, zone.id, {**body, **extra})["id"]


def _set_txt(sb: world.Sandbox, name: str, content: str) -> None:
    zone = sb.cloudflare.zone_by_name(ZONE)
    for r in sb.cloudflare.records(zone.id):
        if r.type == "TXT" and r.name == name:
            body = {"type": "TXT", "name": r.name, "content": content, "ttl": 1, "proxied": False}
            sb.cloudflare.update_dns_record(sb.cf_account, zone.id, r.id, body)


def _delete(sb: world.Sandbox, ids: list[str]) -> None:
    zone = sb.cloudflare.zone_by_name(ZONE)
    for record_id in ids:
        sb.cloudflare.delete_dns_record(sb.cf_account, zone.id, record_id)


def _check(proc, name: str) -> str:
    [line] = [f for f in _failures(proc) if f.startswith(f"FAIL {ZONE}: {name}:")]
    return line


def test_spf_past_ten_lookups_and_broken_dmarc_are_reported(applied: Sesame) -> None:
    with open_sandbox(applied.top, CONFIG) as sb:
        added = [_add(sb, f"spf{i}.{ZONE}", "TXT", '"v=spf1 -all"') for i in range(10)]
        includes = " ".join(f"include:spf{i}.{ZONE}" for i in range(10))
        _set_txt(sb, ZONE, f'"v=spf1 {includes} include:amazonses.com ~all"')
        _set_txt(sb, f"_dmarc.{ZONE}", '"v=DMARC1; p=bogus"')
    try:
        proc = applied("verify", "--no-send")
    finally:
        with open_sandbox(applied.top, CONFIG) as sb:
            _delete(sb, added)
    assert proc.returncode == 1
    line = _check(proc, "spf")
    assert "requires 11/10 maximum DNS lookups" in line and "10-lookup limit" in line
    assert "fix: remove or flatten includes: include:spf0.verify.example (1 lookup)" in line
    assert "DMARC record invalid" in _check(proc, "dmarc")
    applied.ok("apply")
    assert applied("verify", "--no-send").returncode == 0


def test_void_lookups_get_their_own_cause_and_fix(applied: Sesame) -> None:
    with open_sandbox(applied.top, CONFIG) as sb:
        gone = " ".join(f"a:gone{i}.{ZONE}" for i in range(3))
        _set_txt(sb, ZONE, f'"v=spf1 {gone} include:amazonses.com ~all"')
    proc = applied("verify", "--no-send")
    line = _check(proc, "spf")
    assert "3 void lookups (gone0.verify.example, gone1.verify.example" in line
    assert "cause: SPF over the 2-void-lookup limit" in line and "10-lookup" not in line
    assert "fix: remove the terms naming gone0.verify.example" in line
    applied.ok("apply")
    assert applied("verify", "--no-send").returncode == 0


def test_two_spf_records_and_two_mx_at_the_mail_from_name_are_named_as_such(
    applied: Sesame,
) -> None:
    mail_from = f"mail.{ZONE}"
    with open_sandbox(applied.top, CONFIG) as sb:
        added = [
            _add(sb, mail_from, "TXT", '"v=spf1 a -all"'),
            _add(sb, mail_from, "MX", "mx1.mailhost.example.net", priority=20),
            _add(sb, ZONE, "TXT", '"v=spf1 mx -all"'),
        ]
    try:
        proc = applied("verify", "--no-send")
    finally:
        with open_sandbox(applied.top, CONFIG) as sb:
            _delete(sb, added)
    spf_line = _check(proc, "mail_from_spf")
    assert f"{mail_from} has 2 SPF records" in spf_line and "missing" not in spf_line
    assert "cause: two SPF records at the MAIL FROM name" in spf_line
    mx_line = _check(proc, "mail_from_mx")
    assert "cause: several MX at the MAIL FROM name" in mx_line
    assert "fix: delete the other MX (mx1.mailhost.example.net)" in mx_line
    apex = _check(proc, "spf")
    assert f"{ZONE} has 2 SPF records" in apex and "cause: two SPF records at one name" in apex
    assert applied("verify", "--no-send").returncode == 0


def _doctor(sesame: Sesame, **changes: str) -> list[str]:
    with open_target("sandbox", CFG, sesame.top) as target:
        values = {**target.secrets.values, **changes}
        broken = dataclasses.replace(target, secrets=secrets.Secrets(values))
        return [c.line() for c in doctor.credential_checks(CFG, broken) if not c.ok]


def test_doctor_passes_on_a_good_setup(applied: Sesame) -> None:
    proc = applied("doctor")
    assert proc.returncode == 0, proc.stdout
    assert "ok   cloudflare: verify.example: token can read the zone and edit DNS" in proc.stdout
    assert "ok   r2: key separation: AWS's keys cannot reach R2" in proc.stdout


def test_doctor_reports_r2_keys_swapped_with_aws_keys(applied: Sesame) -> None:
    s = secrets.load(keys.SECRETS_FILE, keys.age_key())
    fails = _doctor(
        applied,
        R2_ACCESS_KEY_ID=s.get("AWS_ACCESS_KEY_ID"),
        R2_SECRET_ACCESS_KEY=s.get("AWS_SECRET_ACCESS_KEY"),
        AWS_ACCESS_KEY_ID=s.get("R2_ACCESS_KEY_ID"),
        AWS_SECRET_ACCESS_KEY=s.get("R2_SECRET_ACCESS_KEY"),
    )
    assert any(
        "refused R2_ACCESS_KEY_ID" in f and "R2 and AWS keys look swapped" in f for f in fails
    ), fails
    assert any("the state bucket accepts AWS_ACCESS_KEY_ID" in f for f in fails), fails


def test_doctor_reports_a_bad_cloudflare_token(applied: Sesame) -> None:
    fails = _doctor(applied, CLOUDFLARE_API_TOKEN="x" * 40)
    [line] = [f for f in fails if f.startswith("FAIL cloudflare")]
    assert "Cloudflare refused CLOUDFLARE_API_TOKEN (401)" in line and "fix:" in line
    # the R2 token's scope is read with the same token: its own line, nothing else fails
    assert [f.split(":")[0] for f in fails] == ["FAIL r2", "FAIL cloudflare"], fails


def test_doctor_reports_a_wrong_age_key_in_one_line(sesame: Sesame, tmp_path: Path) -> None:
    import pyrage

    team = pyrage.x25519.Identity.generate()
    other = tmp_path / "other.txt"
    other.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    secrets.encrypt(
        {k: "v" for k in secrets.SECRET_KEYS}, sesame.top / "secrets.yaml", [str(team.to_public())]
    )
    sesame.write({**CONFIG, "backend": {**CONFIG["backend"], "account_id": PRODUCTION_ACCOUNT_ID}})
    proc = sesame("doctor", "--env", "production", env={"SOPS_AGE_KEY_FILE": str(other)})
    assert proc.returncode == 1
    [line] = proc.stdout.strip().splitlines()
    assert line.startswith("FAIL secrets: age key:") and "cannot decrypt" in line and "fix:" in line


def test_doctor_read_only_fails_keys_that_can_write_and_leaves_no_probe(applied: Sesame) -> None:
    # The sandbox's one key set can do everything: as a plan-only set, doctor must say so.
    proc = applied("doctor", "--read-only")
    assert proc.returncode == 1, proc.stdout
    lines = proc.stdout.splitlines()
    assert "ok   aws: identity: credentials belong to" in proc.stdout
    assert any(
        ln.startswith("FAIL r2: read-only: the plan-only R2 key can write to the state bucket")
        and "fix: make an R2 API token with Object Read only" in ln
        for ln in lines
    ), lines
    assert any(
        ln.startswith(f"FAIL cloudflare: {ZONE}: the plan-only token can edit DNS") for ln in lines
    ), lines
    # moto has no IAM policy simulation: the check says it could not tell, never "ok"
    assert any(
        ln.startswith("FAIL aws: read-only: cannot check: iam:SimulatePrincipalPolicy refused")
        for ln in lines
    ), lines
    from sesame.dns import zones
    from sesame.tf import state

    with open_target("sandbox", CFG, applied.top) as target:
        s3 = state.s3_client(target)
        left = s3.list_objects_v2(Bucket=CFG.backend.bucket, Prefix="sesame-doctor-probe/")
        assert left.get("KeyCount", 0) == 0
        cf = zones.client(target)
        zone = cf.zones.list(name=ZONE).result[0]
        names = [r.name for r in cf.dns.records.list(zone_id=zone.id)]
        assert not [n for n in names if n.startswith("_sesame-doctor-")]
