"""The DNS half against the real Cloudflare provider and the Cloudflare emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkdmarc.dmarc import parse_dmarc_record

from sesame.config import Config
from sesame.dns import dmarc, zones
from sesame.errors import PreflightError
from sesame.sandbox import world
from sesame.target import workdir_for
from testing import Sesame, domain, error_lines, make_config

ZONE = "dns.example"


def _config(**extra: Any) -> dict:
    senders = {"dns-smtp": {"kind": "smtp", "from": [f"noreply@{ZONE}"]}}
    return make_config(domain(ZONE, senders, **extra))


def _sandbox(top: Path, config: dict) -> world.Sandbox:
    return world.Sandbox(workdir_for(top, "sandbox"), Config.model_validate(config))


def _zone(sb: world.Sandbox, name: str = ZONE) -> Any:
    return sb.cloudflare.zone_by_name(name)


def _txt(sb: world.Sandbox, name: str) -> list[Any]:
    zone = _zone(sb)
    return [r for r in sb.cloudflare.records(zone.id) if r.type == "TXT" and r.name == name]


def _replace_seeded_spf(sb: world.Sandbox, content: str) -> None:
    zone = _zone(sb)
    [spf] = [r for r in sb.cloudflare.records(zone.id) if r.type == "TXT" and r.name == ZONE]
    body = {"type": "TXT", "name": ZONE, "content": content, "ttl": 3600, "proxied": False}
    sb.cloudflare.update_dns_record(sb.cf_account, zone.id, spf.id, body)


def _seed_dmarc(top: Path, config: dict, content: str = '"v=DMARC1; p=reject"') -> dict:
    """A _dmarc record the zone owner made before sesame."""
    body = {"type": "TXT", "name": f"_dmarc.{ZONE}", "content": content, "ttl": 300}
    with _sandbox(top, config) as sb:
        return sb.cloudflare.create_dns_record(
            sb.cf_account, _zone(sb).id, {**body, "proxied": False}
        )


def _nothing_applied(top: Path, config: dict) -> None:
    with _sandbox(top, config) as sb:
        assert not sb.ses.list_identities(world.ACCOUNT_ID, "eu-west-1")
        assert all("sesame" not in (r.comment or "") for r in sb.cloudflare.records(_zone(sb).id))


def test_spf_over_ten_lookups_is_refused_before_any_change(sesame: Sesame) -> None:
    config = _config()
    sesame.write(config)
    includes = " ".join(f"include:spf{i}.{ZONE}" for i in range(10))
    with _sandbox(sesame.top, config) as sb:
        _replace_seeded_spf(sb, f'"v=spf1 {includes} ~all"')
        for i in range(10):  # each include is a real record: the lookups are counted in DNS
            body = {"type": "TXT", "name": f"spf{i}.{ZONE}", "content": '"v=spf1 -all"'}
            sb.cloudflare.create_dns_record(
                sb.cf_account, _zone(sb).id, {**body, "ttl": 300, "proxied": False}
            )
    proc = sesame("apply")
    assert proc.returncode == PreflightError.exit_code, proc.stderr
    [line] = error_lines(proc.stderr)
    assert "would need 11 DNS lookups (limit 10" in line and "fix:" in line
    _nothing_applied(sesame.top, config)


def test_existing_dmarc_is_never_silently_overwritten(sesame: Sesame) -> None:
    config = _config()
    sesame.write(config)
    _seed_dmarc(sesame.top, config)
    proc = sesame("apply")
    assert proc.returncode == PreflightError.exit_code
    [line] = error_lines(proc.stderr)
    assert "dmarc.existing" in line and "already has a DMARC record (v=DMARC1; p=reject)" in line
    _nothing_applied(sesame.top, config)


def test_dmarc_keep_leaves_the_record_and_adopt_replaces_then_restores_it(sesame: Sesame) -> None:
    keep = _config(dmarc={"policy": "quarantine", "existing": "keep"})
    sesame.write(keep)
    original = _seed_dmarc(sesame.top, keep)
    sesame.ok("apply")
    with _sandbox(sesame.top, keep) as sb:
        [dmarc] = _txt(sb, f"_dmarc.{ZONE}")
        assert (dmarc.id, dmarc.content) == (original["id"], '"v=DMARC1; p=reject"')

    adopt = _config(dmarc={"policy": "quarantine", "existing": "adopt"})
    sesame.write(adopt)
    sesame.ok("apply")
    assert sesame("plan", "--detailed-exitcode").returncode == 0
    with _sandbox(sesame.top, adopt) as sb:
        [dmarc] = _txt(sb, f"_dmarc.{ZONE}")
        assert dmarc.id == original["id"] and dmarc.content == '"v=DMARC1; p=quarantine"'
        assert dmarc.ttl == 300  # replaced, but with its owner's TTL, not Cloudflare's auto

    sesame.ok("destroy")
    with _sandbox(sesame.top, adopt) as sb:
        [dmarc] = _txt(sb, f"_dmarc.{ZONE}")
        assert (dmarc.id, dmarc.content, dmarc.ttl) == (original["id"], '"v=DMARC1; p=reject"', 300)


def test_invalid_cloudflare_token_stops_before_any_aws_change(sesame: Sesame) -> None:
    config = _config()
    sesame.write(config)
    with _sandbox(sesame.top, config) as sb:
        sb.cloudflare.tokens.clear()  # the token in secrets is no longer accepted
    proc = sesame("apply")
    assert proc.returncode == PreflightError.exit_code
    [line] = error_lines(proc.stderr)
    assert (
        line.startswith("sesame: CLOUDFLARE_API_TOKEN was refused by Cloudflare") and "fix:" in line
    )
    with _sandbox(sesame.top, config) as sb:
        assert not sb.ses.list_identities(world.ACCOUNT_ID, "eu-west-1")


def test_manual_dns_creates_no_cloudflare_records_and_prints_them(sesame: Sesame) -> None:
    config = _config(dns="manual")
    sesame.write(config)
    sesame.ok("apply")
    with _sandbox(sesame.top, config) as sb:
        assert sb.cloudflare.zone_by_name(ZONE) is None  # not even looked up
        [identity] = sb.ses.list_identities(world.ACCOUNT_ID, "eu-west-1")
        tokens = identity.dkim_tokens
    bind = sesame.ok("records", ZONE, "--format", "bind").stdout
    for token in tokens:
        assert f"{token}._domainkey.{ZONE}.\t3600\tIN\tCNAME\t{token}.dkim.amazonses.com." in bind
    assert f"mail.{ZONE}.\t3600\tIN\tMX\t10 feedback-smtp.eu-west-1.amazonses.com." in bind
    assert f'_dmarc.{ZONE}.\t3600\tIN\tTXT\t"v=DMARC1; p=none"' in bind
    data = json.loads(sesame.ok("records", ZONE, "--format", "json").stdout)
    assert [r["key"] for r in data["records"]] == [
        "dkim1",
        "dkim2",
        "dkim3",
        "mail_from_mx",
        "mail_from_spf",
        "spf",
        "dmarc",
    ]
    table = sesame.ok("records", ZONE).stdout
    assert "NAME" in table and f"_dmarc.{ZONE}" in table
    sesame.ok("destroy")


def test_long_dmarc_is_split_into_255_character_strings_in_a_zone_given_by_id(
    sesame: Sesame,
) -> None:
    rua = [f"mailto:dmarc-aggregate-reports-{i:02d}@reports.{ZONE}" for i in range(8)]
    config = _config(dmarc={"policy": "reject", "rua": rua})
    sesame.write(config)
    with _sandbox(sesame.top, config) as sb:
        zone_id = _zone(sb).id
    config["domains"][ZONE]["zone_id"] = zone_id  # no lookup by name
    sesame.write(config)
    sesame.ok("apply")
    assert sesame("plan", "--detailed-exitcode").returncode == 0
    want = f"v=DMARC1; p=reject; rua={','.join(rua)}"
    assert len(want) > 255
    with _sandbox(sesame.top, config) as sb:
        [record] = _txt(sb, f"_dmarc.{ZONE}")
        served = sb._dns.resolve(f"_dmarc.{ZONE}", "TXT")
    assert record.content == f'"{want[:255]}" "{want[255:]}"'  # Cloudflare's stored form
    assert served == [want]  # resolvers join the strings back
    assert sesame("verify", "--no-send").returncode == 0


def test_dmarc_record_served_by_dns_parses_back_to_the_configured_policy(sesame: Sesame) -> None:
    policy = {
        "policy": "quarantine",
        "subdomain_policy": "reject",
        "pct": 50,
        "rua": [f"mailto:dmarc%22reports@{ZONE}", f"mailto:agg+x@{ZONE}!10m"],
        "ruf": [f"mailto:forensic.o'brien@{ZONE}"],
        "adkim": "s",
        "aspf": "s",
    }
    config = _config(dmarc=policy)
    sesame.write(config)
    sesame.ok("apply")
    assert sesame("plan", "--detailed-exitcode").returncode == 0
    with _sandbox(sesame.top, config) as sb:
        [served] = sb._dns.resolve(f"_dmarc.{ZONE}", "TXT")
    tags = parse_dmarc_record(served, ZONE, resolver=dmarc._offline(), timeout=0.1, retries=0)[
        "tags"
    ]
    assert (tags["p"]["value"], tags["sp"]["value"]) == ("quarantine", "reject")
    assert (tags["adkim"]["value"], tags["aspf"]["value"]) == ("s", "s")
    assert [(u["scheme"], u["address"], u["size_limit"]) for u in tags["rua"]["value"]] == [
        ("mailto", f"dmarc%22reports@{ZONE}", None),
        ("mailto", f"agg+x@{ZONE}", "10m"),
    ]
    assert [u["address"] for u in tags["ruf"]["value"]] == [f"forensic.o'brien@{ZONE}"]
    assert dmarc.parse(served) == dmarc.Policy("quarantine", "reject", 50)


INHERITS = "no `dmarc:` configured for this subdomain: it keeps what receivers apply today"


def test_a_note_many_domains_share_is_one_line_naming_three_and_counting_the_rest() -> None:
    notes = [(f"t{i}.example.net", f"{INHERITS} (no DMARC policy)") for i in range(100)]
    notes.insert(1, ("news.example.com", "_dmarc.news.example.com is a CNAME to r.example"))
    notes.append(("a.example.org", f"{INHERITS} (p=reject inherited from _dmarc.example.org)"))
    assert zones.note_lines(notes) == [
        "100 domains (t0.example.net, t1.example.net, t2.example.net and 97 more), each: "
        f"{INHERITS} (no DMARC policy)",
        "news.example.com: _dmarc.news.example.com is a CNAME to r.example",
        f"a.example.org: {INHERITS} (p=reject inherited from _dmarc.example.org)",
    ]


def test_notes_up_to_three_domains_share_stay_one_line_per_domain() -> None:
    notes = [(f"t{i}.example.net", INHERITS) for i in range(zones.NOTE_NAMES)]
    assert zones.note_lines(notes) == [f"t{i}.example.net: {INHERITS}" for i in range(3)]


def test_a_plan_is_counted_one_lookup_per_zone_and_a_listing_page_per_100_records() -> None:
    """A tenant platform's 150 subdomains of one zone: one lookup (not 150), the listing's
    pages over 1,050 records in state, one refresh read per record."""
    domains = {f"t{i}.example.net": {"senders": {}, "zone": "example.net"} for i in range(150)}
    domains["own.example"] = {"senders": {}, "zone_id": "0123456789abcdef0123456789abcdef"}
    config = Config.model_validate(
        {
            "region": "eu-west-1",
            "backend": {"account_id": "0" * 32, "bucket": "sesame-state", "key": "k.tfstate"},
            "domains": domains,
        }
    )
    managed = zones.Managed(record_ids=frozenset(f"r{i}" for i in range(1050)))

    needed = zones.needed(config, config.cloudflare_domains(), managed)

    # example.net is looked up by name; own.example's zone_id needs no lookup
    assert (needed.lookups, needed.listings, needed.reads) == (1, 2 * 2 + 10, 1050)


def test_an_spf_or_dmarc_of_sesames_replaced_by_hand_is_refused_not_published_twice(
    sesame: Sesame,
) -> None:
    """The zone owner deleted sesame's apex SPF and _dmarc and put records of their own in
    their place: state still names sesame's, so a plan would create a second of each."""
    config = _config()
    sesame.write(config)
    sesame.ok("apply")
    with _sandbox(sesame.top, config) as sb:
        zone = _zone(sb)
        for name, content in ((ZONE, '"v=spf1 mx -all"'), (f"_dmarc.{ZONE}", '"v=DMARC1; p=none"')):
            [ours] = _txt(sb, name)
            sb.cloudflare.delete_dns_record(sb.cf_account, zone.id, ours.id)
            body = {"type": "TXT", "name": name, "content": content, "ttl": 300, "proxied": False}
            sb.cloudflare.create_dns_record(sb.cf_account, zone.id, body)
    for name, what, content in (
        (ZONE, "SPF", "v=spf1 mx -all"),
        (f"_dmarc.{ZONE}", "DMARC", "v=DMARC1; p=none"),
    ):
        proc = sesame("apply")
        assert proc.returncode == PreflightError.exit_code, proc.stderr
        [line] = error_lines(proc.stderr)
        assert f"sesame's {what} record at {name} was deleted outside sesame and another" in line
        assert f"({content}); applying would publish a second one" in line and "fix:" in line
        with _sandbox(sesame.top, config) as sb:
            [theirs] = _txt(sb, name)  # nothing was published beside it
            sb.cloudflare.delete_dns_record(sb.cf_account, theirs.zone_id, theirs.id)
    sesame.ok("apply")  # the fix: with theirs gone, sesame's are published again
    with _sandbox(sesame.top, config) as sb:
        assert len(_txt(sb, ZONE)) == 1 and len(_txt(sb, f"_dmarc.{ZONE}")) == 1
    sesame.ok("destroy")
