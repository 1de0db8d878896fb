"""The DNS records a domain needs, for its owner: a BIND zone snippet, a table, or JSON."""

from __future__ import annotations

import json
from typing import Any

from sesame import output, regions
from sesame.config import Dmarc, Domain
from sesame.dns import dmarc, spf

ORDER = ("dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc")
FORMATS = ("table", "bind", "json")
NOTES = {
    "spf": "merge include:amazonses.com into an existing SPF record; never publish two",
    "dmarc": "replaces any existing _dmarc record",
}


PENDING = ("dkim1", "dkim2", "dkim3")  # CNAMEs named by tokens SES makes with the identity
SES_SPF = "v=spf1 include:amazonses.com ~all"


def dmarc_value(dmarc: Dmarc) -> str:
    """The _dmarc TXT value for the configured policy: the tags terraform/aws writes
    (`dns_records` output), defaults left out."""
    tags = ["v=DMARC1", f"p={dmarc.policy}"]
    if dmarc.subdomain_policy is not None:
        tags.append(f"sp={dmarc.subdomain_policy}")
    if dmarc.pct != 100:
        tags.append(f"pct={dmarc.pct}")
    if dmarc.rua:
        tags.append("rua=" + ",".join(dmarc.rua))
    if dmarc.ruf:
        tags.append("ruf=" + ",".join(dmarc.ruf))
    if dmarc.adkim != "r":
        tags.append(f"adkim={dmarc.adkim}")
    if dmarc.aspf != "r":
        tags.append(f"aspf={dmarc.aspf}")
    return "; ".join(tags)


def before_apply(domain: str, d: Domain, region: str) -> dict[str, dict[str, Any]]:
    """The records known from the configuration alone, keyed as terraform/aws's
    `dns_records` output (which gives the same values after apply, tests/commands/
    test_domain.py): all but the DKIM CNAMEs (PENDING), whose names SES makes, and _dmarc
    for a subdomain that inherits its organization's policy (`for_owner`)."""
    mail_from = f"{d.mail_from}.{domain}"
    return for_owner(
        domain,
        d,
        {
            "mail_from_mx": {
                "name": mail_from,
                "type": "MX",
                "value": regions.mail_from_mx(region),
                "priority": 10,
            },
            "mail_from_spf": {"name": mail_from, "type": "TXT", "value": SES_SPF, "priority": None},
            "spf": {"name": domain, "type": "TXT", "value": SES_SPF, "priority": None},
            "dmarc": {
                "name": f"_dmarc.{domain}",
                "type": "TXT",
                "value": dmarc_value(d.dmarc),
                "priority": None,
            },
        },
    )


def for_owner(
    domain: str,
    d: Domain,
    needed: dict[str, dict[str, Any]],
    published: frozenset[str] = frozenset(),
) -> dict[str, dict[str, Any]]:
    """The records to show for `domain`: `needed` (terraform/aws's `dns_records`, or
    `before_apply`) without _dmarc when the domain inherits its organizational domain's
    DMARC policy (dmarc.inherits) and sesame has not published one (`published`: the keys
    it manages in Cloudflare)."""
    if dmarc.inherits(domain, d) and "dmarc" not in published:
        return {k: v for k, v in needed.items() if k != "dmarc"}
    return needed


def pending(domain: str) -> dict[str, Any]:
    """What a domain's records lack before its first apply, why, and what to run next
    (`records --format json`'s `pending`)."""
    return {
        "keys": list(PENDING),
        "why": "SES names the DKIM CNAMEs when it creates the identity",
        "next": f"run `sesame apply`, then `sesame records {domain} --format json`",
    }


def show_before_apply(domain: str, d: Domain, region: str, fmt: str = "json") -> None:
    """Print the records the configuration fixes before the first apply (`before_apply`),
    the DKIM CNAMEs as `pending` in JSON, and why _dmarc is left out when it is."""
    known = before_apply(domain, d, region)
    if "dmarc" not in known:
        output.status(inherited_note(domain))
    if fmt == "json":
        output.write_line(as_json(domain, known, None, [], pending(domain)))
    else:
        output.write_line(render(domain, known, fmt))


def inherited_note(domain: str) -> str:
    """Why a subdomain's records hold no _dmarc (dmarc.inherits)."""
    org = dmarc.organizational_domain(domain)
    return (
        f"{domain}: no `dmarc:` configured for this subdomain: receivers apply {org}'s DMARC "
        "policy, so publish no _dmarc record for it (add `dmarc:` to give it its own)"
    )


def rows(records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": k, **records[k]} for k in ORDER if k in records]


def _quoted(chunk: str) -> str:
    """One character-string in RFC 1035 presentation form (`"` and `\\` escaped)."""
    return '"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _txt(value: str) -> str:
    return " ".join(_quoted(value[i : i + 255]) for i in range(0, len(value), 255))


def published(
    domain: str, needed: dict[str, dict[str, Any]], outputs: dict[str, Any]
) -> tuple[str | None, dict[str, dict[str, Any]], list[str]]:
    """For a domain sesame manages in Cloudflare: the zone, the records as they are live
    (the apex SPF merged with what the zone already had), and the keys sesame left alone
    (a DMARC record the configuration keeps). (None, needed, []) when none is published."""
    managed = outputs.get("dns_managed_records") or {}
    ours = {k.rpartition("/")[2]: r for k, r in managed.items() if k.rpartition("/")[0] == domain}
    if not ours:
        return None, needed, []
    zone_id = (outputs.get("dns_zone_ids") or {}).get(domain)
    zone = (outputs.get("dns_zone_names") or {}).get(zone_id, zone_id)
    live = {}
    for key, record in needed.items():
        if key in ours:
            r = ours[key]
            value = spf.unquote(r["content"]) if r["type"] == "TXT" else r["content"]
            live[key] = {**record, "name": r["name"], "type": r["type"], "value": value}
        else:
            live[key] = record
    return zone, live, sorted(k for k in needed if k not in ours)


def note(zone: str, others: list[str]) -> str:
    text = f"already published by sesame in Cloudflare zone {zone}; nothing to add by hand"
    if others:
        text += f" (not managed by sesame, as configured: {', '.join(others)})"
    return text


def bind(domain: str, records: dict[str, dict[str, Any]], published: str = "") -> str:
    ttl = 3600
    lines = [f"; {domain}: records for Amazon SES, made by sesame"]
    if published:
        lines.append(f"; {published}")
    for r in rows(records):
        if r["type"] == "CNAME":
            data = r["value"] + "."
        elif r["type"] == "MX":
            data = f"{int(r['priority'])} {r['value']}."
        else:
            data = _txt(r["value"])
        why = f"  ; {NOTES[r['key']]}" if r["key"] in NOTES and not published else ""
        lines.append(f"{r['name']}.\t{ttl}\tIN\t{r['type']}\t{data}{why}")
    return "\n".join(lines)


def table(domain: str, records: dict[str, dict[str, Any]], published: str = "") -> str:
    body = [
        (r["name"], r["type"], str(int(r["priority"])) if r["priority"] else "", r["value"])
        for r in rows(records)
    ]
    head = f"{domain}: {published}" if published else f"{domain}"
    return f"{head}\n" + output.table(("NAME", "TYPE", "PRIO", "VALUE"), body)


def as_json(
    domain: str,
    records: dict[str, dict[str, Any]],
    zone: str | None,
    others: list[str],
    pending: dict[str, Any] | None = None,
) -> str:
    """`pending` (before apply): the keys not known yet, why, and what to run next."""
    doc: dict[str, Any] = {"domain": domain, "records": rows(records)}
    doc["published"] = (
        {"by": "sesame", "zone": zone, "not_managed": others} if zone is not None else None
    )
    if pending is not None:
        doc["pending"] = pending
    return json.dumps(doc, indent=2)


def render(
    domain: str,
    records: dict[str, dict[str, Any]],
    fmt: str,
    zone: str | None = None,
    others: list[str] | None = None,
) -> str:
    """`zone`: the Cloudflare zone sesame already published these records in, if it did;
    `others`: the keys there it leaves to the zone's owner."""
    published = note(zone, others or []) if zone is not None else ""
    if fmt == "bind":
        return bind(domain, records, published)
    if fmt == "table":
        return table(domain, records, published)
    return as_json(domain, records, zone, others or [])
