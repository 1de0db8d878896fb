"""`sesame domain add|remove`: a tenant platform edits sesame.yaml from code (issue 14)."""

from __future__ import annotations

from pathlib import Path

from sesame import config, config_edit, output
from sesame.dns import records


def add(
    path: Path,
    domain: str,
    *,
    dns: str | None = None,
    shard: str | None = None,
    zone: str | None = None,
) -> int:
    """Append `domain` to the configuration, then print its records as `records --format
    json` does: those known before apply, and the DKIM CNAMEs as pending (SES names them)."""
    entry = {k: v for k, v in (("dns", dns), ("zone", zone), ("shard", shard)) if v is not None}
    edited = config_edit.add(config.read_text(path), path, domain, entry)
    config_edit.write_atomically(path, edited.text)
    d = edited.config.domains[domain]
    records.show_before_apply(domain, d, edited.config.region)
    if d.dns == "cloudflare":
        where = f"sesame publishes them in Cloudflare zone {edited.config.zone_of(domain)}"
    else:
        where = "the domain's owner publishes them (dns: manual)"
    then = records.pending(domain)["next"]
    output.status(f"{path}: added {domain}; {where}; DKIM records next: {then}")
    return 0


def remove(path: Path, domain: str) -> int:
    """Take `domain` out of the configuration (its resources go with the next apply)."""
    edited = config_edit.remove(config.read_text(path), path, domain)
    config_edit.write_atomically(path, edited.text)
    output.status(
        f"{path}: removed {domain}; its identity, records and senders are destroyed by the next "
        "`sesame apply --allow-destroy`"
    )
    return 0
