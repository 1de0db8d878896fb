"""The DNS records a domain needs, for its owner: a BIND zone snippet, a table, or JSON."""

from __future__ import annotations

import json
from typing import Any

from sesame import output

ORDER = ("dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc")
FORMATS = ("table", "bind", "json")
NOTES = {
    "spf": "merge include:amazonses.com into an existing SPF record; never publish two",
    "dmarc": "replaces any existing _dmarc record",
}


def rows(records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": k, **records[k]} for k in ORDER if k in records]


def _txt(value: str) -> str:
    return " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))


def bind(domain: str, records: dict[str, dict[str, Any]], ttl: int = 3600) -> str:
    lines = [f"; {domain}: records for Amazon SES, made by sesame"]
    for r in rows(records):
        if r["type"] == "CNAME":
            data = r["value"] + "."
        elif r["type"] == "MX":
            data = f"{int(r['priority'])} {r['value']}."
        else:
            data = _txt(r["value"])
        note = f"  ; {NOTES[r['key']]}" if r["key"] in NOTES else ""
        lines.append(f"{r['name']}.\t{ttl}\tIN\t{r['type']}\t{data}{note}")
    return "\n".join(lines)


def table(domain: str, records: dict[str, dict[str, Any]]) -> str:
    body = [
        (r["name"], r["type"], str(int(r["priority"])) if r["priority"] else "", r["value"])
        for r in rows(records)
    ]
    return f"{domain}\n" + output.table(("NAME", "TYPE", "PRIO", "VALUE"), body)


def as_json(domain: str, records: dict[str, dict[str, Any]]) -> str:
    return json.dumps({"domain": domain, "records": rows(records)}, indent=2)


def render(domain: str, records: dict[str, dict[str, Any]], fmt: str) -> str:
    return {"bind": bind, "table": table, "json": as_json}[fmt](domain, records)
