"""The sandbox fails where AWS and Cloudflare fail, and verify/status name the cause.

One real sandbox apply (real Terraform, providers, sops) of a domain with an smtp and an
api sender; each test breaks the world the way a real one breaks and repairs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sesame.config import Config
from sesame.sandbox import world
from sesame.target import workdir_for
from testing import Sesame, applied_sandbox, domain, make_config, open_sandbox

ZONE = "faults.example"
SENDERS = {
    "f-smtp": {"kind": "smtp", "from": [f"app@{ZONE}"]},
    "f-api": {"kind": "api", "from": [f"billing@{ZONE}", f"notifications+*@{ZONE}"]},
}
CONFIG = make_config(domain(ZONE, SENDERS, dmarc={"policy": "reject"}))
CFG = Config.model_validate(CONFIG)


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sesame]:
    yield from applied_sandbox(CONFIG, tmp_path_factory.mktemp("faults"))


def _failures(proc) -> list[str]:
    return [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]


def _dkim_records(sb: world.Sandbox) -> list:
    zone = sb.cloudflare.zone_by_name(ZONE)
    return [r for r in sb.cloudflare.records(zone.id) if "._domainkey." in r.name]


def test_verify_proves_the_api_sender_with_its_own_key(applied: Sesame) -> None:
    proc = applied("verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("ok   f-api: auth: key AKIA") for line in lines), lines
    assert f"ok   f-api: send: SendEmail billing@{ZONE} -> success@simulator" in proc.stdout
    assert (
        f"ok   f-api: least privilege: SendEmail From sesame-verify-not-allowed@{ZONE} refused"
        in proc.stdout
    )
    with open_sandbox(applied.top, CONFIG) as sb:
        sent = sb.ses.region_state(world.ACCOUNT_ID, CFG.region).sent_messages
        users = {u["UserName"] for u in sb.client("iam").list_users()["Users"]}
    api = [m for m in sent if m.get("Api") == "SendEmail"]
    assert [m["UserName"] for m in api] == ["f-api"] and api[0]["From"] == f"billing@{ZONE}"
    assert "f-api" in users


def test_an_api_sender_whose_policy_was_widened_fails_least_privilege(applied: Sesame) -> None:
    with open_sandbox(applied.top, CONFIG) as sb:
        iam = sb.client("iam")
        [name] = iam.list_user_policies(UserName="f-api")["PolicyNames"]
        original = iam.get_user_policy(UserName="f-api", PolicyName=name)["PolicyDocument"]
        wide = json.loads(json.dumps(original))
        for statement in wide["Statement"]:
            statement.pop("Condition", None)
        iam.put_user_policy(UserName="f-api", PolicyName=name, PolicyDocument=json.dumps(wide))
    proc = applied("verify")
    [line] = _failures(proc)
    assert "f-api: least privilege: SendEmail From" in line and "was accepted" in line
    assert "allows more than its from list" in line
    applied.ok("apply")  # Terraform puts the policy back
    assert applied("verify").returncode == 0


def test_proxied_dkim_cname_fails_verify_and_status_with_its_cause(applied: Sesame) -> None:
    with open_sandbox(applied.top, CONFIG) as sb:
        assert not [
            r for r in sb.cloudflare.records(sb.cloudflare.zone_by_name(ZONE).id) if r.proxied
        ]  # sesame never creates a proxied record
        record = _dkim_records(sb)[0]
        # the orange cloud, clicked in the dashboard
        sb.cloudflare.edit_dns_record(sb.cf_account, record.zone_id, record.id, {"proxied": True})
    proc = applied("verify", "--no-send")
    assert proc.returncode == 1
    [line] = _failures(proc)
    assert f"{record.name} answers A/AAAA addresses, not CNAME" in line
    assert "cause: proxied DKIM CNAME" in line and "fix: set DNS only" in line
    [d] = json.loads(applied.ok("status", "--json").stdout)["domains"]
    assert d["dkim_status"] == "TEMPORARY_FAILURE" and d["verified_for_sending"] is False
    assert d["dkim_cause"].startswith("proxied DKIM CNAME") and "set DNS only" in d["dkim_cause"]
    shown = applied.ok("status").stdout
    # the cause is its own line under the table, not a stretched DKIM column
    assert f"\n{ZONE}: DKIM TEMPORARY_FAILURE: proxied DKIM CNAME" in shown
    [row] = [ln for ln in shown.splitlines() if ln.startswith(f"{ZONE} ")]
    assert "proxied" not in row and len(row) < 120, row
    applied.ok("apply")  # the record goes back to DNS only
    assert applied("verify", "--no-send").returncode == 0


def test_dkim_cnames_follow_the_zone_ses_states_not_a_table(applied: Sesame) -> None:
    moved = "dkim.eu-west-1.amazonses.com"  # a zone sesame's documented fallback does not know
    with open_sandbox(applied.top, CONFIG) as sb:
        sb.ses.signing_hosted_zones[CFG.region] = moved
    try:
        proc = applied("verify", "--no-send")
        assert proc.returncode == 1
        fails = _failures(proc)
        assert len(fails) == 3, fails
        assert all("dkim.amazonses.com, not" in f and moved in f for f in fails), fails
        assert all(f"outside SES's signing hosted zone {moved}" in f for f in fails), fails
        [d] = json.loads(applied.ok("status", "--json").stdout)["domains"]
        assert d["dkim_signing_hosted_zone"] == moved and d["dkim_status"] != "SUCCESS"
        plan = applied.ok("plan")
        assert "3 to change" in plan.stdout, plan.stdout  # the CNAMEs move to SES's zone
        applied.ok("apply")
        assert applied("verify", "--no-send").returncode == 0
        with open_sandbox(applied.top, CONFIG) as sb:
            assert all(r.content.endswith("." + moved) for r in _dkim_records(sb))
    finally:
        with open_sandbox(applied.top, CONFIG) as sb:
            sb.ses.signing_hosted_zones.clear()
        applied.ok("apply")


def test_a_new_domain_in_a_zone_ses_states_differently_converges_on_the_next_apply(
    sesame: Sesame,
) -> None:
    config = make_config(domain("fresh.example", {}))
    cfg = Config.model_validate(config)
    moved = "dkim.eu-west-1.amazonses.com"
    sesame.write(config)
    with world.Sandbox(workdir_for(sesame.top, "sandbox"), cfg) as sb:
        sb.ses.signing_hosted_zones[cfg.region] = moved  # SES says so; the table does not
    first = sesame.ok("apply")
    assert f"fresh.example: SES signs in {moved}, the DKIM CNAMEs point into" in first.stderr
    assert "fix: run `make apply` again" in first.stderr
    assert sesame("verify", "--no-send").returncode == 1
    second = sesame.ok("apply")
    assert "SES signs in" not in second.stderr
    assert sesame("verify", "--no-send").returncode == 0
    assert sesame("plan", "--detailed-exitcode").returncode == 0
