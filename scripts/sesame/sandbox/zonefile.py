"""A Cloudflare "Export DNS records" file (BIND zone file) as Cloudflare API record bodies.

Parsed with dnspython's zone parser. What Cloudflare's export looks like, and how each
part is read:

* `;;` header lines (`;; Domain: example.com.`), then `;; SOA Record`, `;; NS Records`,
  `;; A Records`... sections: comments, ignored except `;; Domain:`, which names the zone
  when the file has no `$ORIGIN`.
* The SOA owner is written without its trailing dot (`example.com\t3600\tIN\tSOA ...`):
  with the origin set that would read as `example.com.example.com.`, so a bare owner equal
  to the zone name is read as the apex.
* TTL `1` is Cloudflare's "automatic"; it is kept (the emulator serves it as 300).
* A trailing comment holds the record's comment, then `cf_tags=cf-proxied:true|false`
  (the orange cloud): `; website cf_tags=cf-proxied:true` is comment "website", proxied.
* TXT data is the quoted character-strings as written (`"v=spf1 ..." "..."`), which is
  what the API stores as content.
* The SOA and the apex NS are Cloudflare's own (the emulator synthesises them), so they
  are not records to create. Types the emulator does not store (SRV, CAA, ...) are
  reported back as skipped, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdatatype
import dns.zone

from sesame.errors import ConfigError
from sesame.sandbox.cloudflare.models import PROXIABLE_TYPES, SUPPORTED_TYPES

_ORIGIN_RE = re.compile(r"^\$ORIGIN\s+(\S+)", re.IGNORECASE | re.MULTILINE)
_DOMAIN_RE = re.compile(r"^;;\s*Domain:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_SOA_RE = re.compile(r"^(\S+)\s+(?:\d+\s+)?(?:IN\s+)?SOA\s", re.IGNORECASE | re.MULTILINE)
_CF_TAGS_RE = re.compile(r"cf_tags=(\S*)")
_HOST_TYPES = ("CNAME", "NS", "PTR")
_LINE_RE = re.compile(r"^(?P<file>.*):(?P<line>\d+):(?P<message>.*)$", re.DOTALL)
_AFTER_NEWLINE = ("Text input is malformed.", "newline in quoted string")


@dataclass
class ZoneFile:
    """One exported zone: its name, the record bodies to create, and what was skipped."""

    path: Path
    zone: str
    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def proxied(self) -> int:
        return sum(1 for r in self.records if r["proxied"])


def _zone_name(text: str, path: Path) -> str:
    for pattern in (_ORIGIN_RE, _DOMAIN_RE, _SOA_RE):
        match = pattern.search(text)
        if match and match.group(1) not in ("@",):
            return match.group(1).rstrip(".").lower()
    raise ConfigError(
        f"{path}: cannot tell which zone this is (no $ORIGIN, ';; Domain:' line or SOA); "
        "fix: add `$ORIGIN example.com.` as the first line"
    )


def _apex_owner(text: str, zone: str) -> str:
    """Cloudflare writes the SOA owner without a trailing dot: read it as `@`."""
    bare = re.compile(rf"^{re.escape(zone)}(?=[ \t])", re.IGNORECASE | re.MULTILINE)
    return bare.sub("@", text)


def _tags(comment: str | None) -> tuple[str | None, bool]:
    """(the record's own comment, proxied) from an export's trailing comment."""
    if not comment:
        return None, False
    proxied = False
    match = _CF_TAGS_RE.search(comment)
    if match:
        tags = match.group(1).split(",")
        proxied = "cf-proxied:true" in tags
        comment = comment[: match.start()] + comment[match.end() :]
    comment = comment.strip()
    return comment or None, proxied


def _body(name: dns.name.Name, ttl: int, rdata: Any) -> dict[str, Any]:
    kind = dns.rdatatype.to_text(rdata.rdtype)
    comment, proxied = _tags(getattr(rdata, "rdcomment", None))
    body: dict[str, Any] = {
        "name": name.to_text(omit_final_dot=True).lower(),
        "type": kind,
        "ttl": 1 if proxied else ttl,  # a proxied record's TTL is always automatic
        "proxied": proxied and kind in PROXIABLE_TYPES,
    }
    if kind in _HOST_TYPES:
        body["content"] = rdata.target.to_text(omit_final_dot=True)
    elif kind == "MX":
        body["content"] = rdata.exchange.to_text(omit_final_dot=True)
        body["priority"] = rdata.preference
    else:  # A, AAAA, TXT (quoted strings, as the API stores them)
        body["content"] = rdata.to_text()
    if comment:
        body["comment"] = comment[:100]
    return body


def _where(exc: dns.exception.SyntaxError) -> str:
    """dnspython's `file:line: message`, with the line of the record itself: rdata errors
    are raised after the tokenizer has read the line's newline, one line too far."""
    text = str(exc)
    match = _LINE_RE.match(text)
    if match and match["message"].strip() in _AFTER_NEWLINE:
        return f"{match['file']}:{int(match['line']) - 1}:{match['message']}"
    return text


def parse(path: Path) -> ZoneFile:
    """Read one export; a ConfigError naming file:line for anything dnspython refuses."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc}); fix: pass a zone file") from None
    zone = _zone_name(text, path)
    try:
        parsed = dns.zone.from_text(
            _apex_owner(text, zone),
            origin=zone + ".",
            relativize=False,
            check_origin=False,
            filename=str(path),
        )
    except dns.exception.SyntaxError as exc:
        raise ConfigError(f"{_where(exc)}; fix: correct that line of the zone file") from None
    except dns.exception.DNSException as exc:
        raise ConfigError(f"{path}: {exc}; fix: correct the zone file") from None
    out = ZoneFile(path=path, zone=zone)
    origin = parsed.origin
    for name, ttl, rdata in parsed.iterate_rdatas():
        kind = dns.rdatatype.to_text(rdata.rdtype)
        if kind == "SOA" or (kind == "NS" and name == origin):
            continue  # Cloudflare's own
        if kind not in SUPPORTED_TYPES:
            out.skipped[kind] = out.skipped.get(kind, 0) + 1
            continue
        out.records.append(_body(name, ttl, rdata))
    return out
