"""Put a record that existed before sesame back exactly as it was, through Cloudflare's
API: destroy needs only the state (the record's ID and its frozen original), never a plan
of the whole configuration, so a zone conflict or a half-made apply cannot block it."""

from __future__ import annotations

from typing import Any

import cloudflare

from sesame.dns import zones
from sesame.target import Target


def record(target: Target, zone_id: str, record_id: str, name: str, original: dict) -> None:
    """Overwrite record `record_id` with `original` (content, ttl, proxied, comment); if it
    is gone, create the original again."""
    cf = zones.client(target)
    body: dict[str, Any] = {
        "zone_id": zone_id,
        "name": name,
        "type": "TXT",
        "content": original["content"],
        "ttl": int(original.get("ttl") or 1),
        "proxied": bool(original.get("proxied")),
    }
    if original.get("comment") is not None:  # PUT replaces the record: no comment, none
        body["comment"] = original["comment"]
    try:
        cf.dns.records.update(record_id, **body)
    except cloudflare.NotFoundError:
        cf.dns.records.create(**body)
