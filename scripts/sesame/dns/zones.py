"""Before any change: check the Cloudflare token and zones, and find records to adopt.

An apex SPF record that exists before sesame is adopted and merged into (two SPF records
break SPF); a _dmarc record is kept or adopted only as the configuration says. Records
sesame manages are known from state (their IDs), not from comments a person can edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cloudflare

from sesame.config import Config
from sesame.dns import dmarc, spf
from sesame.dns.txt import unquote
from sesame.errors import PreflightError, SecretsError
from sesame.target import Target


@dataclass(frozen=True)
class Managed:
    """What state says sesame already manages: record IDs, and which keys were adopted."""

    record_ids: frozenset[str] = frozenset()
    adopted: frozenset[str] = frozenset()

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> Managed:
        records = outputs.get("dns_managed_records") or {}
        return cls(
            record_ids=frozenset(r["id"] for r in records.values()),
            adopted=frozenset(outputs.get("dns_adopted") or []),
        )


@dataclass
class DnsInputs:
    """Terraform variables `dns` and `dns_imports`."""

    dns: dict[str, dict[str, Any]] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)


def client(target: Target) -> cloudflare.Cloudflare:
    token = target.secrets.get("CLOUDFLARE_API_TOKEN")
    if not token:
        raise SecretsError(
            "secrets.yaml: CLOUDFLARE_API_TOKEN is empty; fix: run `make secrets` and set "
            "a token with Zone:Read and DNS:Edit on your zones (or set dns: manual)"
        )
    return cloudflare.Cloudflare(
        api_token=token, base_url=target.cloudflare_base_url, max_retries=1
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


def _txt(cf: cloudflare.Cloudflare, zone_id: str, name: str) -> list[Any]:
    return list(cf.dns.records.list(zone_id=zone_id, name={"exact": name}, type="TXT"))


def _original(record: Any) -> dict[str, Any]:
    return {
        "content": record.content,
        "ttl": int(record.ttl),
        "proxied": bool(record.proxied),
        "comment": record.comment,
    }


def preflight(config: Config, target: Target, managed: Managed) -> DnsInputs:
    """Read-only checks and adoption plan; raises one-line errors before any change."""
    domains = config.cloudflare_domains()
    if not domains:
        return DnsInputs()
    cf = client(target)
    out = DnsInputs()
    for domain, d in domains.items():
        zone_name = config.zone_of(domain)
        zone_id = d.zone_id or _zone_id(cf, zone_name, domain)
        entry: dict[str, Any] = {"zone_name": zone_name, "zone_id": zone_id, "originals": {}}

        spfs = [r for r in _txt(cf, zone_id, domain) if spf.is_spf(r.content)]
        if len(spfs) > 1:
            raise PreflightError(
                f"domains.{domain}: the zone already has {len(spfs)} SPF records at {domain} "
                "(SPF fails with more than one); fix: merge them into one by hand first"
            )
        if spfs:
            [record] = spfs
            # A record sesame already manages is rewritten from its frozen original (checked
            # when it was adopted); only a record being adopted now is checked here.
            ours = record.id in managed.record_ids
            needed = 0 if ours else spf.lookups_after_merge(record.content)
            if needed > spf.LOOKUP_LIMIT:
                raise PreflightError(
                    f"domains.{domain}: merging include:amazonses.com into the existing SPF "
                    f"would need {needed} DNS lookups (limit {spf.LOOKUP_LIMIT}, RFC 7208); "
                    "fix: remove or flatten includes in that record first"
                )
            out.imports[f"{domain}/spf"] = f"{zone_id}/{record.id}"
            if not ours or f"{domain}/spf" in managed.adopted:
                entry["originals"]["spf"] = _original(record)  # frozen at adoption

        dmarcs = [r for r in _txt(cf, zone_id, f"_dmarc.{domain}") if dmarc.is_dmarc(r.content)]
        foreign = [r for r in dmarcs if r.id not in managed.record_ids]
        if foreign and d.dmarc.existing is None:
            raise PreflightError(
                f"domains.{domain}.dmarc.existing: _dmarc.{domain} already has a DMARC record "
                f"({unquote(foreign[0].content)}); fix: set existing: keep (leave it) or "
                "existing: adopt (replace it; destroy restores it)"
            )
        entry["manage_dmarc"] = not (foreign and d.dmarc.existing == "keep")
        if dmarcs and entry["manage_dmarc"]:
            record = dmarcs[0]
            out.imports[f"{domain}/dmarc"] = f"{zone_id}/{record.id}"
            if record.id not in managed.record_ids or f"{domain}/dmarc" in managed.adopted:
                entry["originals"]["dmarc"] = _original(record)
        out.dns[domain] = entry
    return out
