"""Every name sesame writes is checked before any change (issue 12 §A, §D, §F).

Each test seeds a real-world record into the sandbox's Cloudflare emulator, runs the real
`sesame plan`/`apply`, and checks the one-line refusal, the exit code, and that nothing was
applied (the emulators' inventories are unchanged) -- or, where sesame honours what it
found, that the apply converges and destroy leaves the zone as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sesame.checks import verify
from sesame.config import Config
from sesame.dns import resolver, spf, zones
from sesame.errors import ConfigError, PreflightError
from sesame.sandbox import world
from sesame.target import workdir_for
from testing import Sesame, account_users, domain, error_lines, make_config

ZONE = "example.com"
SMTP = {"app-smtp": {"kind": "smtp", "from": [f"noreply@{ZONE}"]}}


def _config(**extra: Any) -> dict:
    return make_config(domain(ZONE, SMTP, mail_from="mail", **extra))


def _sandbox(top: Path, config: dict) -> world.Sandbox:
    return world.Sandbox(workdir_for(top, "sandbox"), Config.model_validate(config))


def _seed(top: Path, config: dict, *records: dict[str, Any]) -> None:
    with _sandbox(top, config) as sb:
        zone = sb.cloudflare.zone_by_name(ZONE)
        for body in records:
            sb.cloudflare.create_dns_record(
                sb.cf_account, zone.id, {"ttl": 3600, "proxied": False, **body}
            )


def _inventory(top: Path, config: dict) -> dict[str, Any]:
    """Everything the emulators hold that an apply could change."""
    with _sandbox(top, config) as sb:
        zone = sb.cloudflare.zone_by_name(ZONE)
        records = sorted(
            (r.id, r.name, r.type, r.content, r.ttl, r.comment)
            for r in sb.cloudflare.records(zone.id)
        )
        identities = [i.name for i in sb.ses.list_identities(world.ACCOUNT_ID, "eu-west-1")]
        users = account_users(sb)  # not the users sesame runs as
    return {"records": records, "identities": identities, "users": users}


def _refused(sesame: Sesame, config: dict, *expected: str) -> str:
    """plan and apply both stop with the same single line; nothing changes."""
    before = _inventory(sesame.top, config)
    lines = []
    for verb in ("plan", "apply"):
        proc = sesame(verb)
        assert proc.returncode == PreflightError.exit_code, proc.stdout + proc.stderr
        [line] = error_lines(proc.stderr)
        for text in (*expected, "fix:"):
            assert text in line, line
        lines.append(line)
    assert lines[0] == lines[1]
    after = _inventory(sesame.top, config)
    assert after == before and not after["identities"] and not after["users"]
    return lines[0]


def _start(sesame: Sesame, config: dict, *records: dict[str, Any]) -> None:
    sesame.write(config)
    _seed(sesame.top, config, *records)


# -- §A: the MAIL FROM name ---------------------------------------------------------------


def test_another_mx_at_the_mail_from_name_is_refused_before_any_change(sesame: Sesame) -> None:
    config = _config()
    mx = {"type": "MX", "name": f"mail.{ZONE}", "content": "mx1.mailhost.example.net"}
    _start(sesame, config, {**mx, "priority": 10})
    _refused(
        sesame,
        config,
        f"domains.{ZONE}.mail_from: mail.{ZONE} already has MX 10 mx1.mailhost.example.net",
        "SES needs exactly one MX at the MAIL FROM name",
    )


def test_another_spf_at_the_mail_from_name_is_refused_before_any_change(sesame: Sesame) -> None:
    config = _config()
    _start(sesame, config, {"type": "TXT", "name": f"mail.{ZONE}", "content": '"v=spf1 a -all"'})
    _refused(sesame, config, f"mail.{ZONE} already has an SPF record (v=spf1 a -all)")


def test_a_cname_at_the_mail_from_name_is_refused_before_any_change(sesame: Sesame) -> None:
    config = _config()
    _start(sesame, config, {"type": "CNAME", "name": f"mail.{ZONE}", "content": "ghs.example.net"})
    _refused(sesame, config, f"mail.{ZONE} is a CNAME (ghs.example.net)", "RFC 1034 §3.6.2")


def test_a_delegated_mail_from_name_is_refused_before_any_change(sesame: Sesame) -> None:
    config = _config()
    _start(sesame, config, {"type": "NS", "name": f"mail.{ZONE}", "content": "ns1.other.example"})
    _refused(sesame, config, f"mail.{ZONE} is delegated to other name servers")


def test_a_delegated_subdomain_is_refused_before_any_change(sesame: Sesame) -> None:
    config = make_config(domain(f"news.{ZONE}", zone=ZONE, dmarc={"policy": "none"}))
    sesame.write(config)
    _seed(
        sesame.top, config, {"type": "NS", "name": f"news.{ZONE}", "content": "ns1.other.example"}
    )
    before = _inventory(sesame.top, config)
    proc = sesame("apply")
    assert proc.returncode == PreflightError.exit_code
    [line] = error_lines(proc.stderr)
    assert f"news.{ZONE} is delegated to other name servers (NS ns1.other.example)" in line
    assert _inventory(sesame.top, config) == before


def test_a_record_at_a_known_dkim_name_is_refused_before_any_change(sesame: Sesame) -> None:
    config = _config()
    sesame.write(config)
    cfg = Config.model_validate(config)
    with _sandbox(sesame.top, config) as sb:  # the identity exists before sesame
        ses = sb.client("sesv2", region=cfg.region)  # by hand, with the root key
        ses.create_email_identity(EmailIdentity=ZONE)
        token = ses.get_email_identity(EmailIdentity=ZONE)["DkimAttributes"]["Tokens"][0]
        zone = sb.cloudflare.zone_by_name(ZONE)
        body = {"type": "TXT", "name": f"{token}._domainkey.{ZONE}", "content": '"v=DKIM1; p="'}
        sb.cloudflare.create_dns_record(sb.cf_account, zone.id, {**body, "ttl": 3600})
        records = sorted((r.id, r.content) for r in sb.cloudflare.records(zone.id))
    proc = sesame("apply")
    assert proc.returncode == PreflightError.exit_code
    [line] = error_lines(proc.stderr)
    assert f"{token}._domainkey.{ZONE} already has TXT" in line and "81053" in line
    with _sandbox(sesame.top, config) as sb:
        zone = sb.cloudflare.zone_by_name(ZONE)
        assert sorted((r.id, r.content) for r in sb.cloudflare.records(zone.id)) == records
        assert not account_users(sb)


# -- §A: _dmarc delegated to a reporting service -------------------------------------------

DELEGATED = {
    "type": "CNAME",
    "name": f"_dmarc.{ZONE}",
    "content": f"{ZONE}._dmarc.dmarc-service.example.net",
}


def test_a_delegated_dmarc_cname_is_kept_and_no_dmarc_is_published(sesame: Sesame) -> None:
    config = _config()
    _start(sesame, config, DELEGATED)
    before = _inventory(sesame.top, config)["records"]
    plan = sesame.ok("plan")
    assert f"_dmarc.{ZONE} is a CNAME to {DELEGATED['content']} (DMARC delegated): kept" in (
        plan.stderr
    )
    sesame.ok("apply")
    assert sesame("plan", "--detailed-exitcode").returncode == 0
    with _sandbox(sesame.top, config) as sb:
        zone = sb.cloudflare.zone_by_name(ZONE)
        at_dmarc = [r for r in sb.cloudflare.records(zone.id) if r.name == f"_dmarc.{ZONE}"]
    assert [(r.type, r.content) for r in at_dmarc] == [("CNAME", DELEGATED["content"])]
    # verify names the delegation and who publishes the record (the sandbox serves no
    # reporting service), not a DNS error or `make apply`, which publishes nothing there.
    verify = sesame("verify", "--no-send")
    [line] = [ln for ln in verify.stdout.splitlines() if f"{ZONE}: dmarc:" in ln]
    target = DELEGATED["content"]
    assert line.startswith(f"FAIL {ZONE}: dmarc: _dmarc.{ZONE} is a CNAME to {target}"), line
    assert f"fix: have the DMARC service publish its record at {target}" in line
    sesame.ok("destroy")
    after = _inventory(sesame.top, config)
    assert after["records"] == before and not after["identities"] and not after["users"]


def test_adopting_a_delegated_dmarc_cname_is_refused_before_any_change(sesame: Sesame) -> None:
    config = _config(dmarc={"policy": "reject", "existing": "adopt"})
    _start(sesame, config, DELEGATED)
    _refused(sesame, config, f"_dmarc.{ZONE} is a CNAME to", "cannot be adopted")


# -- §A: names within the configuration ----------------------------------------------------


def test_two_domains_with_the_same_mail_from_name_are_refused(sesame: Sesame) -> None:
    config = make_config(
        {
            ZONE: {"mail_from": "mail.a", "dmarc": {"policy": "none"}},
            f"a.{ZONE}": {"zone": ZONE, "mail_from": "mail", "dmarc": {"policy": "none"}},
        }
    )
    sesame.write(config)
    proc = sesame("plan")
    assert proc.returncode == ConfigError.exit_code
    [line] = error_lines(proc.stderr)
    assert f"MAIL FROM mail.a.{ZONE} is also the MAIL FROM of a.{ZONE}" in line
    assert "fix: choose another label for one of them" in line
    assert not (sesame.top / ".sesame").exists()  # refused at validation: nothing ran


def test_a_mail_from_name_that_is_another_configured_domain_is_refused(sesame: Sesame) -> None:
    config = make_config(
        {
            ZONE: {"mail_from": "news", "dmarc": {"policy": "none"}},
            f"news.{ZONE}": {"zone": ZONE, "dmarc": {"policy": "none"}},
        }
    )
    sesame.write(config)
    proc = sesame("apply")
    assert proc.returncode == ConfigError.exit_code
    [line] = error_lines(proc.stderr)
    assert f"MAIL FROM news.{ZONE} is also a sending domain here" in line
    assert not (sesame.top / ".sesame").exists()  # refused at validation: nothing ran


# -- §D: SPF evaluated as receivers evaluate it ----------------------------------------------


def _replace_apex_spf(sb: world.Sandbox, content: str) -> None:
    zone = sb.cloudflare.zone_by_name(ZONE)
    [record] = [
        r
        for r in sb.cloudflare.records(zone.id)
        if r.type == "TXT" and r.name == ZONE and spf.is_spf(r.content)
    ]
    body = {"type": "TXT", "name": ZONE, "content": content, "ttl": 3600, "proxied": False}
    sb.cloudflare.update_dns_record(sb.cf_account, zone.id, record.id, body)


SAMPLE_SPF = '"v=spf1 include:_spf.google.com include:_spf.example.com ~all"'
NESTED = " ".join(f"include:_s{i}.{ZONE}" for i in range(1, 6))


def test_spf_whose_nested_includes_reach_ten_is_refused_naming_the_chain(sesame: Sesame) -> None:
    config = _config()
    nested = [
        {"type": "TXT", "name": f"_s{i}.{ZONE}", "content": f'"v=spf1 ip4:192.0.2.{i} -all"'}
        for i in range(1, 6)
    ]
    own = {"type": "TXT", "name": f"_spf.{ZONE}", "content": f'"v=spf1 {NESTED} ~all"'}
    _start(sesame, config, own, *nested)
    with _sandbox(sesame.top, config) as sb:
        _replace_apex_spf(sb, SAMPLE_SPF)
    line = _refused(
        sesame,
        config,
        "merging include:amazonses.com into the existing SPF at example.com would need 11 "
        "DNS lookups (limit 10, RFC 7208 §4.6.4): "
        "include:_spf.example.com → include:_s1.example.com (6 lookups), "
        "include:_spf.google.com → include:_netblocks.google.com (4 lookups), "
        "include:amazonses.com (1 lookup)",
    )
    assert "fix: remove or flatten includes" in line

    # The preflight is never looser than verify: published by hand, verify counts the same.
    merged = spf.merged(SAMPLE_SPF)
    with _sandbox(sesame.top, config) as sb:
        _replace_apex_spf(sb, f'"{merged}"')
        target = sb.target(sesame.top)
        check = verify.spf_check(ZONE, resolver.resolver_for(target))
        lookup = resolver.lookup_for(resolver.resolver_for(target))
        with pytest.raises(PreflightError) as refused:
            zones.check_spf(ZONE, merged, lookup, merging=False)
    assert not check.ok and "requires 11/10 maximum DNS lookups" in check.detail
    assert "would need 11 DNS lookups" in str(refused.value)


def test_spf_with_three_void_lookups_is_refused_with_the_void_limit(sesame: Sesame) -> None:
    config = _config()
    _start(sesame, config)
    with _sandbox(sesame.top, config) as sb:
        _replace_apex_spf(sb, f'"v=spf1 a:old1.{ZONE} a:old2.{ZONE} mx:old3.{ZONE} ~all"')
    _refused(
        sesame,
        config,
        "would make 3 void DNS lookups (limit 2, RFC 7208 §4.6.4): old1.example.com, "
        "old2.example.com, old3.example.com do not exist",
    )


# -- §F: DMARC judged as receivers see it ----------------------------------------------------

NEWS = f"news.{ZONE}"


def _news_config(**extra: Any) -> dict:
    senders = {"news-smtp": {"kind": "smtp", "from": [f"hello@{NEWS}"]}}
    return make_config(domain(NEWS, senders, zone=ZONE, **extra))


def _org_dmarc(content: str) -> dict[str, Any]:
    return {"type": "TXT", "name": f"_dmarc.{ZONE}", "content": f'"{content}"'}


def _report(sesame: Sesame) -> dict[str, Any]:
    proc = sesame.ok("plan", "--out", "reviewed.plan.age", "--report", "rep")
    report = json.loads((sesame.top / "rep/report.json").read_text())
    report["stderr"] = proc.stderr
    return report


def test_a_subdomain_without_dmarc_inherits_its_organizations_policy(sesame: Sesame) -> None:
    config = _news_config()
    _start(sesame, config, _org_dmarc("v=DMARC1; p=reject"))
    report = _report(sesame)
    assert (
        f"{NEWS}: no `dmarc:` configured for this subdomain: it keeps what receivers apply "
        f"today (p=reject inherited from _dmarc.{ZONE}); sesame publishes no _dmarc record"
    ) in report["stderr"]
    assert not [d for d in report["dns"] if d["name"] == f"_dmarc.{NEWS}"]
    assert report["gates"] == []


def test_a_weaker_subdomain_dmarc_is_stopped_by_the_gate_unless_allowed(sesame: Sesame) -> None:
    config = _news_config(dmarc={"policy": "none"})
    _start(sesame, config, _org_dmarc("v=DMARC1; p=reject"))
    report = _report(sesame)
    gate = (
        f"gate: _dmarc.{NEWS} would weaken DMARC (p=reject inherited from _dmarc.{ZONE} -> "
        "p=none); fix: re-run with --allow-weaker-dmarc if that is intended"
    )
    assert report["gates"] == [gate]  # production refuses it (tests/checks/test_gates.py)
    # The sandbox rehearses it: applied, saying in one line what production would refuse.
    apply = ("apply", "--plan", "reviewed.plan.age", "--expect-digest", report["digest"])
    proc = sesame.ok(*apply)
    assert f"sandbox: applying what production would refuse: {gate}" in proc.stderr
    with _sandbox(sesame.top, config) as sb:
        zone = sb.cloudflare.zone_by_name(ZONE)
        [record] = [r for r in sb.cloudflare.records(zone.id) if r.name == f"_dmarc.{NEWS}"]
    assert record.content == '"v=DMARC1; p=none"'


def test_the_organizations_sp_is_what_a_subdomain_policy_is_compared_with(sesame: Sesame) -> None:
    config = _news_config(dmarc={"policy": "quarantine"})
    _start(sesame, config, _org_dmarc("v=DMARC1; p=reject; sp=quarantine"))
    assert _report(sesame)["gates"] == []
    sesame.write(_news_config(dmarc={"policy": "none"}))
    [gate] = _report(sesame)["gates"]
    assert f"(sp=quarantine inherited from _dmarc.{ZONE} -> p=none)" in gate
