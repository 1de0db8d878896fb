"""Records an interrupted apply made but state never recorded (a Ctrl-C cancels the
provider's request after Cloudflare made the record): the next apply imports them as
sesame's, destroy removes them, and records of every other kind are never taken
(sesame.dns.orphans; CI saw a DKIM CNAME left this way refused as a conflict)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sesame.config import Config
from sesame.dns import conflicts, orphans
from sesame.sandbox import world
from sesame.target import workdir_for
from testing import Sesame, domain, make_config

ZONE = "orphan.example"
CONFIG = make_config(domain(ZONE, {"orphan-smtp": {"kind": "smtp", "from": [f"noreply@{ZONE}"]}}))
CFG = Config.model_validate(CONFIG)
RECORD = "cloudflare_dns_record"


def _sandbox(top: Path) -> world.Sandbox:
    return world.Sandbox(workdir_for(top, "sandbox"), CFG)


def _records(top: Path) -> list[tuple[str, str, str, str, str | None]]:
    with _sandbox(top) as sb:
        zone = sb.cloudflare.zone_by_name(ZONE)
        records = sb.cloudflare.records(zone.id)
        return sorted((r.id, r.type, r.name, r.content, r.comment) for r in records)


def _lose_records_from_state(top: Path) -> int:
    """What a lost create answer leaves: the records exist, the state does not hold them."""
    with _sandbox(top) as sb:
        s3 = sb.client("s3", region="us-east-1")
        got = s3.get_object(Bucket=CFG.backend.bucket, Key=CFG.backend.key)
        doc = json.loads(got["Body"].read())
        lost = 0
        for resource in doc["resources"]:
            if resource["type"] == RECORD:  # the adopted apex SPF stays: it was imported
                made = [
                    i
                    for i in resource["instances"]
                    if i["attributes"]["comment"] == orphans.COMMENT
                ]
                resource["instances"] = [i for i in resource["instances"] if i not in made]
                lost += len(made)
        doc["serial"] += 1
        s3.put_object(Bucket=CFG.backend.bucket, Key=CFG.backend.key, Body=json.dumps(doc).encode())
    return lost


def test_records_an_interrupted_apply_left_outside_state_are_imported_then_destroyed(
    sesame: Sesame,
) -> None:
    sesame.write(CONFIG)
    before = _records(sesame.top)  # the seeded zone: the owner's own records
    sesame.ok("apply")
    applied = _records(sesame.top)
    made = sorted(r for r in applied if r[0] not in {b[0] for b in before})
    assert len(made) == 6 and {r[4] for r in made} == {orphans.COMMENT}  # + the adopted SPF

    assert _lose_records_from_state(sesame.top) == 6
    plan = sesame.ok("plan")
    assert "changes: 0 to add, 0 to change, 0 to destroy, 6 to import" in plan.stdout, plan.stdout
    notes = re.findall(r"made by an interrupted apply\): imported as sesame's", plan.stderr)
    assert len(notes) == 6, plan.stderr

    sesame.ok("apply")
    assert _records(sesame.top) == applied  # the same records (same IDs): none made twice
    assert sesame("plan", "--detailed-exitcode").returncode == 0

    assert _lose_records_from_state(sesame.top) == 6
    done = sesame.ok("destroy")
    removed = re.findall(r"removed (\S+ \S+): made by an interrupted apply", done.stderr)
    assert sorted(removed) == sorted(f"{r[1]} {r[2]}" for r in made), done.stderr
    assert "restored " in done.stderr  # the adopted SPF, given back
    assert _records(sesame.top) == before  # the zone exactly as its owner had it


def _record(id_: str, type_: str, name: str, content: str, comment: str | None) -> Any:
    return SimpleNamespace(id=id_, type=type_, name=name, content=content, comment=comment)


def _by_name(*records: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in records:
        out.setdefault(r.name, []).append(r)
    return out


ITEMS = conflicts.planned(ZONE, CFG.domains[ZONE], ["tok1", "tok2", "tok3"])
MAIL_FROM = conflicts.mail_from_name(ZONE, CFG.domains[ZONE])
SPF = '"v=spf1 include:amazonses.com ~all"'


def test_only_records_with_sesames_exact_comment_and_type_outside_state_are_orphans() -> None:
    zone = _by_name(
        _record("a", "CNAME", f"tok1._domainkey.{ZONE}", "tok1.dkim.example", orphans.COMMENT),
        _record("b", "CNAME", f"tok2._domainkey.{ZONE}", "tok2.dkim.example", "made by hand"),
        _record("c", "CNAME", f"tok3._domainkey.{ZONE}", "tok3.dkim.example", None),
        _record("d", "MX", MAIL_FROM, "feedback-smtp.example", orphans.COMMENT),
        _record("e", "TXT", MAIL_FROM, '"google-site-verification=x"', orphans.COMMENT),
        _record("f", "TXT", ZONE, SPF, f"theirs [adopted: {orphans.COMMENT}, restored on destroy]"),
        _record("g", "TXT", f"_dmarc.{ZONE}", '"v=DMARC1; p=none"', orphans.COMMENT),
        _record("h", "TXT", f"_dmarc.{ZONE}", '"v=DMARC1; p=reject"', orphans.COMMENT),
    )
    found = orphans.find(ITEMS, zone, frozenset({"h"}))
    assert {k: r.id for k, r in found.items()} == {
        f"{ZONE}/dkim1": "a",  # b: another comment, c: none, f: adopted, e: not SPF
        f"{ZONE}/mail_from_mx": "d",
        f"{ZONE}/dmarc": "g",  # h is in state
    }


def test_destroy_finds_orphan_dkim_cnames_whatever_their_token() -> None:
    zone = _by_name(
        _record("a", "CNAME", f"old._domainkey.{ZONE}", "old.dkim.example", orphans.COMMENT),
        _record("b", "CNAME", f"new._domainkey.{ZONE}", "new.dkim.example", orphans.COMMENT),
        _record("c", "CNAME", f"sel._domainkey.{ZONE}", "sel.other.example", "google"),
        _record("d", "TXT", ZONE, SPF, orphans.COMMENT),
        _record("e", "TXT", ZONE, '"keybase-site-verification=x"', orphans.COMMENT),
        _record("f", "A", ZONE, "192.0.2.1", orphans.COMMENT),
    )
    got = orphans.strays(ZONE, CFG.domains[ZONE], zone, frozenset({"b"}))
    assert sorted(r.id for r in got) == ["a", "d"]
