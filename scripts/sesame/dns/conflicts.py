"""Every name sesame writes, checked before any change: against each other, and against the zone.

Per domain sesame writes: the apex SPF (TXT at the domain), the MAIL FROM MX and SPF (at
`<mail_from>.<domain>`), `_dmarc.<domain>` (TXT), and three DKIM CNAMEs at
`<token>._domainkey.<domain>` (tokens are known once SES has the identity). Refused, one
line each, naming the record, the conflict and the fix:

- two configured domains that would write the same name (MAIL FROM names that collide, a
  MAIL FROM name that is another configured domain): two SPF records at one name;
- a CNAME at a name sesame writes anything at (RFC 1034 §3.6.2; Cloudflare error 81054),
  or any record at a name where sesame writes a CNAME (error 81053);
- another MX, or another SPF record, at the MAIL FROM name (SES needs exactly one MX; two
  SPF records are a permerror);
- a delegation (NS records) at or above a name, below the zone apex: records sesame made
  in this zone would never be served.

A `_dmarc` CNAME (DMARC delegated to a reporting service) is not refused here: zones.py
honours it (see docs/dns.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sesame.config import Config, Domain
from sesame.dns.spf import unquote
from sesame.dns.spf_eval import is_spf
from sesame.errors import ConfigError, PreflightError


@dataclass(frozen=True)
class Planned:
    """One record sesame will write."""

    domain: str
    key: str  # dkim1..3, mail_from_mx, mail_from_spf, spf, dmarc
    name: str
    type: str


def mail_from_name(domain: str, d: Domain) -> str:
    return f"{d.mail_from}.{domain}"


def planned(
    domain: str, d: Domain, tokens: Iterable[str] = (), *, dmarc: bool = True
) -> list[Planned]:
    mail_from = mail_from_name(domain, d)
    out = [
        Planned(domain, f"dkim{n}", f"{t}._domainkey.{domain}", "CNAME")
        for n, t in enumerate(tokens, start=1)
    ]
    out += [
        Planned(domain, "mail_from_mx", mail_from, "MX"),
        Planned(domain, "mail_from_spf", mail_from, "TXT"),
        Planned(domain, "spf", domain, "TXT"),
    ]
    if dmarc:
        out.append(Planned(domain, "dmarc", f"_dmarc.{domain}", "TXT"))
    return out


def check_config(config: Config) -> None:
    """Two configured domains must never write the same name (all domains, manual too)."""
    owners: dict[str, tuple[str, str]] = {}
    for domain, d in config.domains.items():
        for name, what in ((domain, "domain"), (mail_from_name(domain, d), "MAIL FROM name")):
            other = owners.get(name)
            if other is not None:
                other_domain, other_what = other
                subject = domain if what == "MAIL FROM name" else other_domain
                raise ConfigError(
                    f"domains.{subject}.mail_from: {name} would be both the {what} of "
                    f"{domain} and the {other_what} of {other_domain} (two SPF records at one "
                    "name); fix: give one of them a different mail_from"
                )
            owners[name] = (domain, what)


def _shown(record: Any) -> str:
    if record.type == "MX":
        return f"MX {int(record.priority or 0)} {record.content}"
    return f"{record.type} {record.content}"


def _ancestors(name: str, zone: str) -> list[str]:
    """name and every name above it, up to (not including) the zone apex."""
    out = []
    while name != zone and name.endswith("." + zone):
        out.append(name)
        name = name.split(".", 1)[1]
    return out


def check_zone(
    items: list[Planned],
    zone: str,
    by_name: Mapping[str, list[Any]],
    ours: frozenset[str],
    under: Iterable[str] = (),
) -> None:
    """Refuse the first conflict between what sesame writes and what the zone holds.

    `by_name`: the zone's records by lowercase name; `ours`: IDs of records sesame already
    manages (never a conflict); `under`: extra names whose subtree sesame writes into
    (`_domainkey.<domain>` while DKIM tokens are not known yet).
    """

    def foreign(name: str) -> list[Any]:
        return [r for r in by_name.get(name, []) if r.id not in ours]

    for item in items:
        where = f"domains.{item.domain}"
        for above in _ancestors(item.name, zone):
            ns = [r for r in foreign(above) if r.type == "NS"]
            if ns:
                raise PreflightError(
                    f"{where}: {above} is delegated to other name servers (NS {ns[0].content}), "
                    f"so the {item.type} sesame would create at {item.name} would never be "
                    "served; fix: remove the delegation, or set `dns: manual` and publish the "
                    f"records (`sesame records {item.domain}`) in the delegated zone"
                )
        others = foreign(item.name)
        cname = next((r for r in others if r.type == "CNAME"), None)
        if item.key == "dmarc" and cname is not None:
            continue  # delegated DMARC: zones.py decides
        if cname is not None:
            raise PreflightError(
                f"{where}: {item.name} is a CNAME ({cname.content}) and sesame must publish a "
                f"{item.type} there (a CNAME allows no other record at its name, RFC 1034 "
                "§3.6.2; Cloudflare error 81054); fix: remove the CNAME"
                + (" or choose another mail_from" if item.key.startswith("mail_from") else "")
            )
        if item.type == "CNAME" and others:
            raise PreflightError(
                f"{where}: {item.name} already has {_shown(others[0])}, and sesame must publish "
                "the DKIM CNAME there (a CNAME allows no other record at its name; Cloudflare "
                "error 81053); fix: delete that record, then apply (sesame publishes the CNAME)"
            )
        if item.key == "mail_from_mx":
            mx = [r for r in others if r.type == "MX"]
            if mx:
                raise PreflightError(
                    f"{where}.mail_from: {item.name} already has {_shown(mx[0])}; SES needs "
                    "exactly one MX at the MAIL FROM name (a second one fails its MAIL FROM "
                    "setup); fix: choose another mail_from (e.g. mail_from: bounce) or delete "
                    "that MX"
                )
        if item.key == "mail_from_spf":
            spfs = [r for r in others if r.type == "TXT" and is_spf(_unquoted(r.content))]
            if spfs:
                raise PreflightError(
                    f"{where}.mail_from: {item.name} already has an SPF record "
                    f"({_unquoted(spfs[0].content)}), and sesame publishes the MAIL FROM SPF "
                    "there (two SPF records are a permerror, RFC 7208 §4.5); fix: choose "
                    "another mail_from (e.g. mail_from: bounce) or delete that record"
                )
    for top in under:
        for name, records in by_name.items():
            if name != top and not name.endswith("." + top):
                continue
            ns = [r for r in records if r.type == "NS" and r.id not in ours]
            if ns:
                raise PreflightError(
                    f"domains.{top.split('.', 1)[1]}: {name} is delegated to other name servers "
                    f"(NS {ns[0].content}), so the DKIM CNAMEs sesame creates under {top} would "
                    "never be served; fix: remove the delegation, or set `dns: manual`"
                )


def _unquoted(content: str) -> str:
    return unquote(content)
