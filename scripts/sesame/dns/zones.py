"""Before any change: check the Cloudflare token and zones, every name sesame writes, the
SPF it will publish (evaluated as receivers evaluate it), and find records to adopt.

An apex SPF record that exists before sesame is adopted and merged into (two SPF records
break SPF); a _dmarc record is kept or adopted only as the configuration says; a _dmarc
CNAME (DMARC delegated to a reporting service) is kept; a subdomain with no `dmarc:` of
its own inherits its organizational domain's policy. Records sesame manages are known
from state (their IDs); a record outside state that carries sesame's comment at a name
sesame writes is one an interrupted apply made (sesame.dns.orphans). docs/dns.md has the
rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cloudflare

from sesame import output
from sesame.config import Config, Domain
from sesame.dns import conflicts, dmarc, orphans, quota, resolver, spf, spf_eval
from sesame.dns.txt import unquote
from sesame.errors import PreflightError, SecretsError
from sesame.target import Target


@dataclass(frozen=True)
class Managed:
    """What state says sesame already manages: record IDs, and which keys were adopted
    (read from the state's resources, which survive a failed apply: sesame.tf.state)."""

    record_ids: frozenset[str] = frozenset()
    adopted: frozenset[str] = frozenset()
    held: dict[str, str] = field(default_factory=dict, hash=False)  # `<domain>/<key>` -> ID


def _replaced(
    domain: str, key: str, managed: Managed, zone: dict[str, list[Any]], other: Any
) -> None:
    """Refuse when the record state holds for `<domain>/<key>` (the apex SPF, `_dmarc`) is
    gone from the zone and `other`, a record of the same kind sesame does not manage, stands
    in its place: state still names sesame's, so Terraform would create a second record
    (two SPF or two DMARC records: receivers apply none) instead of adopting that one."""
    held = managed.held.get(f"{domain}/{key}")
    if held is None or other is None or any(r.id == held for rs in zone.values() for r in rs):
        return
    what = "SPF" if key == "spf" else "DMARC"
    raise PreflightError(
        f"domains.{domain}: sesame's {what} record at {other.name} was deleted outside sesame "
        f"and another {what} record is there now ({unquote(other.content)}); applying would "
        f"publish a second one ({what} fails with two); fix: delete that record (the next "
        f"apply publishes sesame's again), or merge what it says into sesame.yaml first"
    )


@dataclass
class DnsInputs:
    """Terraform variables `dns` and `dns_imports`."""

    dns: dict[str, dict[str, Any]] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    # what the plan output says about records sesame leaves alone: (domain, what), printed
    # by `note_lines` (one line each, or one per `what` shared by many domains)
    notes: list[tuple[str, str]] = field(default_factory=list)
    # per _dmarc name sesame publishes: the policy receivers apply today (gates.py)
    dmarc_before: dict[str, dmarc.Effective] = field(default_factory=dict)


def _token(target: Target) -> str:
    token = target.secrets.get("CLOUDFLARE_API_TOKEN")
    if not token:
        raise SecretsError(
            "secrets.yaml: CLOUDFLARE_API_TOKEN is empty; fix: run `make secrets` and set "
            "a token with Zone:Read and DNS:Edit on your zones (or set dns: manual)"
        )
    return token


def budget(target: Target) -> quota.Budget:
    """The token's API quota as this process has seen it (shared by a command's shards)."""
    return quota.budget_for(target.cloudflare_base_url, _token(target))


def client(target: Target) -> cloudflare.Cloudflare:
    """A Cloudflare client whose every answer updates the token's `budget`."""
    seen = budget(target)
    http = cloudflare.DefaultHttpxClient(
        event_hooks={"response": [lambda response: seen.observe(response.headers)]}
    )
    return cloudflare.Cloudflare(
        api_token=_token(target),
        base_url=target.cloudflare_base_url,
        max_retries=1,
        http_client=http,
    )


def needed(config: Config, domains: dict[str, Domain], managed: Managed) -> quota.Needed:
    """The Cloudflare calls a plan of `domains` makes: sesame's zone lookups (one per zone
    named without `zone_id`) and listings (a page per 100 records, then the empty page that
    ends it: with sesame's records spread over the zones, at most two per zone plus one per
    100 records), then the provider's refresh of every record in state (measured:
    docs/scale.md). Records made by hand add a listing page per 100, not counted. Records
    to adopt are read twice more when the plan imports them: `preflight` reserves those
    when it has found them."""
    by_name = {config.zone_of(domain) for domain, d in domains.items() if not d.zone_id}
    zones = {d.zone_id or config.zone_of(domain) for domain, d in domains.items()}
    return quota.Needed(
        lookups=len(by_name),
        listings=quota.LISTINGS_PER_ZONE * len(zones)
        + len(managed.record_ids) // quota.RECORDS_PER_PAGE,
        reads=len(managed.record_ids),
    )


def _zone_id(cf: cloudflare.Cloudflare, name: str, domain: str) -> str:
    try:
        found = cf.zones.list(name=name).result
    except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as exc:
        raise PreflightError(
            f"CLOUDFLARE_API_TOKEN was refused by Cloudflare ({exc.status_code}); fix: create "
            "a token with Zone:Read and DNS:Edit and put it in secrets.yaml"
        ) from None
    except cloudflare.APIConnectionError:
        raise PreflightError(
            "cannot reach the Cloudflare API; fix: check the network (nothing was changed)"
        ) from None
    if len(found) != 1:
        raise PreflightError(
            f"domains.{domain}: zone {name} is not in this Cloudflare account; fix: add the "
            f"zone, set `zone:` to the zone {domain} is in, or set `dns: manual`"
        )
    return found[0].id


def _records(cf: cloudflare.Cloudflare, zone_id: str) -> dict[str, list[Any]]:
    """Every record of the zone, by lowercase name (one paginated listing per zone)."""
    by_name: dict[str, list[Any]] = {}
    for record in cf.dns.records.list(zone_id=zone_id):
        by_name.setdefault(record.name.lower().rstrip("."), []).append(record)
    return by_name


def _original(record: Any) -> dict[str, Any]:
    return {
        "content": record.content,
        "ttl": int(record.ttl),
        "proxied": bool(record.proxied),
        "comment": record.comment,
    }


def check_spf(domain: str, text: str, lookup: spf_eval.Lookup, *, merging: bool) -> None:
    """Refuse an SPF record receivers would not accept (the same evaluator verify runs)."""
    ev = spf_eval.evaluate(domain, lookup, record=text)
    if ev.ok or ev.result == "none":
        return
    what = "merging include:amazonses.com into the existing SPF" if merging else "the SPF"
    if ev.over_lookups or ev.over_voids:
        full = spf_eval.evaluate(domain, lookup, record=text, limits=False)
        if ev.over_lookups:
            raise PreflightError(
                f"domains.{domain}: {what} at {domain} would need {full.lookups} DNS lookups "
                f"(limit {spf_eval.LOOKUP_LIMIT}, RFC 7208 §4.6.4): {full.chain()}; fix: "
                "remove or flatten includes in that record first"
            )
        raise PreflightError(
            f"domains.{domain}: {what} at {domain} would make {full.voids} void DNS lookups "
            f"(limit {spf_eval.VOID_LIMIT}, RFC 7208 §4.6.4): "
            f"{', '.join(full.void_names)} do not exist or have no records; fix: remove the "
            "terms naming them from that record first"
        )
    if ev.result == "temperror":
        raise PreflightError(
            f"domains.{domain}: cannot evaluate the SPF at {domain} ({ev.reason}); fix: check "
            "that the names it includes resolve, then try again (nothing was changed)"
        )
    raise PreflightError(
        f"domains.{domain}: {what} at {domain} would be a permerror for receivers "
        f"({ev.reason}); fix: correct that record first"
    )


NOTE_NAMES = 3  # domains named in a note many domains share; the rest are counted


def note_lines(notes: list[tuple[str, str]]) -> list[str]:
    """One `domain: what` line per note, in order; a `what` more than NOTE_NAMES domains
    share is one line naming the first of them and counting the rest (a tenant platform's
    hundreds of subdomains without `dmarc:` say it once per plan, not once per domain)."""
    by_what: dict[str, list[str]] = {}
    for domain, what in notes:
        by_what.setdefault(what, []).append(domain)
    lines = []
    for what, domains in by_what.items():
        if len(domains) <= NOTE_NAMES:
            lines += [f"{domain}: {what}" for domain in domains]
        else:
            named = ", ".join(domains[:NOTE_NAMES])
            rest = len(domains) - NOTE_NAMES
            lines.append(f"{len(domains)} domains ({named} and {rest} more), each: {what}")
    return lines


def preflight(
    config: Config,
    target: Target,
    managed: Managed,
    tokens: dict[str, list[str]] | None = None,
    *,
    strict: bool = True,
) -> DnsInputs:
    """Read-only checks and adoption plan; raises one-line errors before any change.

    `tokens`: DKIM tokens of identities SES already has (their CNAME names are checked).
    `strict=False` (destroy): only what adoption needs; a name conflict or an SPF receivers
    would reject never stops sesame from removing what it made."""
    if strict:
        conflicts.check_config(config)
    domains = config.cloudflare_domains()
    if not domains:
        return DnsInputs()
    cf = client(target)
    lookup = resolver.lookup_for(resolver.resolver_for(target))
    out = DnsInputs()
    zones: dict[str, dict[str, list[Any]]] = {}
    zone_ids: dict[str, str] = {}  # looked up by name, once per zone
    what = "this run" if config.shard is None else f"shard {config.shard}"
    run = Run(needed(config, domains, managed), budget(target), what)
    for domain, d in domains.items():
        zone_name = config.zone_of(domain)
        if not d.zone_id and zone_name not in zone_ids:
            zone_ids[zone_name] = _zone_id(cf, zone_name, domain)
        run.reserve(len(zone_ids), len(zones))  # once the first answer stated the quota
        zone_id = d.zone_id or zone_ids[zone_name]
        entry: dict[str, Any] = {"zone_name": zone_name, "zone_id": zone_id, "originals": {}}
        if zone_id not in zones:
            zones[zone_id] = _records(cf, zone_id)
        by_name = zones[zone_id]
        dmarc_name = f"_dmarc.{domain}"
        known = (tokens or {}).get(domain, [])
        items = conflicts.planned(domain, d, known)
        found = orphans.find(items, by_name, managed.record_ids)
        ours_ids = managed.record_ids | {r.id for r in found.values()}
        for key, record in found.items():
            out.imports[key] = f"{zone_id}/{record.id}"
            out.notes.append(
                (
                    domain,
                    f"{record.type} {record.name} carries sesame's comment but is not in "
                    "state (made by an interrupted apply): imported as sesame's",
                )
            )
        if strict:
            conflicts.check_zone(
                items,
                zone_name,
                by_name,
                ours_ids,
                under=[] if known else [f"_domainkey.{domain}"],
            )

        spfs = [r for r in by_name.get(domain, []) if r.type == "TXT" and spf.is_spf(r.content)]
        if len(spfs) > 1:
            raise PreflightError(
                f"domains.{domain}: the zone already has {len(spfs)} SPF records at {domain} "
                "(SPF fails with more than one); fix: merge them into one by hand first"
            )
        if spfs:
            [record] = spfs
            ours = record.id in ours_ids
            _replaced(domain, "spf", managed, by_name, None if ours else record)
            if strict and not ours:  # a record sesame manages is never blamed (verify reports it)
                check_spf(domain, spf.merged(record.content), lookup, merging=True)
            out.imports[f"{domain}/spf"] = f"{zone_id}/{record.id}"
            if not ours or f"{domain}/spf" in managed.adopted:
                entry["originals"]["spf"] = _original(record)  # frozen at adoption
        elif strict:
            check_spf(domain, f"v=spf1 {spf.SES_INCLUDE} ~all", lookup, merging=False)

        at_dmarc = by_name.get(dmarc_name, [])
        cname = next((r for r in at_dmarc if r.type == "CNAME"), None)
        dmarcs = [
            r for r in at_dmarc if r.type == "TXT" and unquote(r.content).startswith("v=DMARC1")
        ]
        foreign = [r for r in dmarcs if r.id not in ours_ids]
        _replaced(domain, "dmarc", managed, by_name, foreign[0] if foreign else None)
        if cname is not None and cname.id not in ours_ids:
            if d.dmarc.existing == "adopt":
                raise PreflightError(
                    f"domains.{domain}.dmarc.existing: {dmarc_name} is a CNAME to "
                    f"{cname.content} (DMARC delegated to a reporting service) and cannot be "
                    "adopted as a TXT record; fix: set existing: keep (sesame leaves the "
                    "delegation alone) or delete the CNAME first"
                )
            entry["manage_dmarc"] = False
            out.notes.append(
                (
                    domain,
                    f"{dmarc_name} is a CNAME to {cname.content} (DMARC delegated): kept; "
                    "sesame publishes no _dmarc record for it",
                )
            )
        elif dmarc.inherits(domain, d) and not any(r.id in ours_ids for r in dmarcs):
            entry["manage_dmarc"] = False
            before = dmarc.effective(domain, lookup)
            out.notes.append(
                (
                    domain,
                    "no `dmarc:` configured for this subdomain: it keeps what receivers apply "
                    f"today ({before.describe()}); sesame publishes no _dmarc record for it",
                )
            )
        else:
            if foreign and d.dmarc.existing is None:
                raise PreflightError(
                    f"domains.{domain}.dmarc.existing: {dmarc_name} already has a DMARC "
                    f"record ({unquote(foreign[0].content)}); fix: set existing: keep "
                    "(leave it) or existing: adopt (replace it; destroy restores it)"
                )
            entry["manage_dmarc"] = not (foreign and d.dmarc.existing == "keep")
        if dmarcs and entry["manage_dmarc"]:
            record = dmarcs[0]
            out.imports[f"{domain}/dmarc"] = f"{zone_id}/{record.id}"
            if record.id not in ours_ids or f"{domain}/dmarc" in managed.adopted:
                entry["originals"]["dmarc"] = _original(record)
        if not entry["manage_dmarc"]:
            out.imports.pop(f"{domain}/dmarc", None)
        if entry["manage_dmarc"]:
            out.dmarc_before[dmarc_name] = dmarc.effective(domain, lookup)
        out.dns[domain] = entry
    run.reserve(len(zone_ids), len(zones))
    importing = [i for i in out.imports.values() if i.split("/")[-1] not in managed.record_ids]
    reads = quota.READS_PER_IMPORT * len(importing)
    run.budget.reserve(quota.Needed(reads=reads), f"{what}'s imports")
    return out


def remove_orphans(config: Config, target: Target, managed: Managed) -> list[str]:
    """For `sesame destroy`: delete every record sesame created that its state never held
    (`orphans.strays`; `managed`: what state held before the destroy, adopted records
    included). One listing per zone, one DELETE per record; returns `TYPE name` of each.
    A zone Cloudflare no longer has is skipped with a status line."""
    domains = config.cloudflare_domains()
    if not domains:
        return []
    cf = client(target)
    zone_ids: dict[str, str] = {}
    listed: dict[str, dict[str, list[Any]]] = {}
    removed = []
    for domain, d in domains.items():
        zone_name = config.zone_of(domain)
        try:
            if not d.zone_id and zone_name not in zone_ids:
                zone_ids[zone_name] = _zone_id(cf, zone_name, domain)
            zone_id = d.zone_id or zone_ids[zone_name]
            if zone_id not in listed:
                listed[zone_id] = _records(cf, zone_id)
        except (PreflightError, cloudflare.NotFoundError) as exc:
            output.status(f"{domain}: not checked for records left by interrupted applies ({exc})")
            continue
        for record in orphans.strays(domain, d, listed[zone_id], managed.record_ids):
            cf.dns.records.delete(record.id, zone_id=zone_id)
            removed.append(f"{record.type} {record.name}")
    return removed


@dataclass
class Run:
    """One run's Cloudflare calls, counted against the token's quota once the first answer
    has stated it (before that nothing is known to count against)."""

    needed: quota.Needed
    budget: quota.Budget
    what: str  # "this run", or "shard S"
    done: bool = False

    def reserve(self, lookups: int, zones: int) -> None:
        """Reserve what is still to come, given the lookups and zones listed so far."""
        if self.done or self.budget.quota is None:
            return
        self.done = True
        made = quota.Needed(lookups=lookups, listings=quota.LISTINGS_PER_ZONE * zones)
        self.budget.reserve(self.needed, self.what, made=made)
