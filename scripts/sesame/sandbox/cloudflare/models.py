"""Cloudflare zones and DNS records: state and rules, no HTTP (moto's models.py shape).

State is keyed `[account][zone id]` and made only of plain dataclasses, dicts and lists so
the whole backend pickles. Methods named after API operations take the parsed request and
return the `result` dict (and, for lists, the `result_info`); responses.py wraps them in
the envelope.

Rules chosen to match the real API and the Terraform provider 5.24.0 (see
reference/cloudflare-provider.md):

* Names come back as the lowercase FQDN without trailing dot: `@` is the apex, a name
  equal to or ending in `.<zone>` is kept, any other relative name gets `.<zone>` appended
  (as the real API does, so `mail.example.org` in zone example.com becomes
  `mail.example.org.example.com`). An absolute name (trailing dot) outside the zone is
  rejected.
* Content and ttl are echoed exactly. TXT content is stored verbatim, quoted or not; it is
  never split or re-quoted in the API. Like the real service, which splits long TXT values
  into 255-byte character-strings when it serves them, `txt_strings()` gives the wire
  strings for the sandbox DNS server. Only the total length is limited (2048 chars).
* `proxied`, `proxiable`, `tags`, `meta`, `zone_id` and `zone_name` are always returned
  (the provider keeps `zone_name` to tell FQDN drift from renames); `comment` only when
  set; `comment_modified_on` only with a non-empty comment and `tags_modified_on` only
  with tags; `settings` as stored and left out when empty (the real API sends none for
  most records; the provider reads an absent CNAME `settings` as three `false`s);
  `priority` only for MX.
* An update that changes nothing keeps `modified_on`; `comment_modified_on` and
  `tags_modified_on` move only when the comment or the tags change (the provider's
  ModifyPlan plans exactly that).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from . import ratelimit
from .exceptions import (
    CnameAlreadyExists,
    ContentTooLong,
    HostAlreadyExists,
    IdenticalRecordExists,
    InvalidAAAAContent,
    InvalidAContent,
    InvalidFieldType,
    InvalidHostnameContent,
    InvalidPriority,
    InvalidQuery,
    InvalidRecordName,
    InvalidTTL,
    MissingRecordField,
    ProxiedTTL,
    ProxyNotAllowed,
    RecordNameOutsideZone,
    RecordNotFound,
    TokenNotFound,
    TokenReadDenied,
    UnsupportedRecordType,
    ZoneAccessDenied,
    ZoneAlreadyExists,
    ZoneNotFound,
)

DEFAULT_ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
NAME_SERVERS = ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]
ZONES_PER_PAGE = 20
ZONES_MAX_PER_PAGE = 50
RECORDS_PER_PAGE = 100
RECORDS_MAX_PER_PAGE = 5_000_000
TXT_MAX_LENGTH = 2048
SUPPORTED_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR")
PROXIABLE_TYPES = ("A", "AAAA", "CNAME")
# the fields a client may set; a change to any of them bumps modified_on
USER_FIELDS = (
    "name",
    "type",
    "content",
    "ttl",
    "proxied",
    "priority",
    "comment",
    "tags",
    "settings",
)
_LABEL_RE = re.compile(r"^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$")
_HOST_LABEL_RE = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$", re.IGNORECASE)
_QUOTED_RE = re.compile(r'\s*"((?:[^"\\]|\\.)*)"')


def now() -> str:
    """RFC 3339 with microseconds and `Z`, as the real API writes timestamps."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return secrets.token_hex(16)


def txt_strings(content: str) -> list[str]:
    """The DNS character-strings a TXT content is served as (each at most 255 bytes).

    `"a" "b"` is two strings; unquoted content is one string; any string over 255 bytes is
    split into 255-byte pieces, as Cloudflare does for long values.
    """
    strings: list[str] = []
    position = 0
    quoted: list[str] = []
    while True:
        match = _QUOTED_RE.match(content, position)
        if match is None:
            break
        quoted.append(re.sub(r"\\(.)", r"\1", match.group(1)))
        position = match.end()
    parts = quoted if quoted and not content[position:].strip() else [content]
    for part in parts:
        raw = part.encode()
        chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
        strings.extend(chunk.decode(errors="replace") for chunk in chunks)
    return strings


@dataclass
class ApiToken:
    """An API token's metadata, as the token details endpoints return it (never its value).

    `policies` are the API's: `[{"id", "effect": "allow"|"deny", "permission_groups":
    [{"id", "name"}], "resources": {"com.cloudflare.edge.r2.bucket.<ACCOUNT>_<JURISDICTION>_
    <BUCKET>": "*"}}]` (developers.cloudflare.com/r2/api/tokens/, "Create API tokens via
    API"). `account_id` owns an account token; None is a user token. An R2 token's ID is
    its S3 Access Key ID (same page, "Get S3 API credentials from an API token")."""

    id: str
    name: str
    policies: list[dict[str, Any]]
    account_id: str | None = None
    status: str = "active"
    issued_on: str = field(default_factory=now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "issued_on": self.issued_on,
            "modified_on": self.issued_on,
            "policies": self.policies,
        }


@dataclass
class DnsRecord:
    id: str
    zone_id: str
    name: str
    type: str
    content: str
    ttl: int | float
    proxied: bool
    created_on: str
    modified_on: str
    priority: int | float | None = None
    comment: str | None = None
    comment_modified_on: str | None = None
    tags: list[str] = field(default_factory=list)
    tags_modified_on: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, zone_name: str) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.id,
            "zone_id": self.zone_id,
            "zone_name": zone_name,
            "name": self.name,
            "type": self.type,
            "content": self.content,
            "proxiable": self.type in PROXIABLE_TYPES,
            "proxied": self.proxied,
            "ttl": self.ttl,
            "meta": {},
            "tags": list(self.tags),
            "created_on": self.created_on,
            "modified_on": self.modified_on,
        }
        if self.settings:
            result["settings"] = dict(self.settings)
        if self.comment is not None:
            result["comment"] = self.comment
        if self.comment_modified_on is not None:
            result["comment_modified_on"] = self.comment_modified_on
        if self.tags_modified_on is not None:
            result["tags_modified_on"] = self.tags_modified_on
        if self.type == "MX" and self.priority is not None:
            result["priority"] = self.priority
        return result


@dataclass
class Zone:
    id: str
    name: str
    account_id: str
    account_name: str
    created_on: str
    modified_on: str
    status: str = "active"
    paused: bool = False
    records: dict[str, DnsRecord] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "paused": self.paused,
            "type": "full",
            "development_mode": 0,
            "name_servers": list(NAME_SERVERS),
            "original_name_servers": None,
            "original_registrar": None,
            "original_dnshost": None,
            "vanity_name_servers": [],
            "cname_suffix": None,
            "created_on": self.created_on,
            "modified_on": self.modified_on,
            "activated_on": self.created_on,
            "meta": {
                "step": 2,
                "custom_certificate_quota": 0,
                "page_rule_quota": 3,
                "phishing_detected": False,
                "cdn_only": False,
                "dns_only": False,
                "foundation_dns": False,
            },
            "owner": {"id": None, "type": "user", "name": None},
            "account": {"id": self.account_id, "name": self.account_name},
            "tenant": {"id": None, "name": None},
            "tenant_unit": {"id": None},
            "permissions": ["#zone:read", "#zone:edit", "#dns_records:read", "#dns_records:edit"],
            "plan": {
                "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
                "name": "Free Website",
                "price": 0,
                "currency": "USD",
                "frequency": "",
                "is_subscribed": False,
                "can_subscribe": False,
                "legacy_id": "free",
                "legacy_discount": False,
                "externally_managed": False,
            },
        }


# ---- validation helpers --------------------------------------------------------------


def _number(value: Any, name: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFieldType(f"{name} must be a number.")
    return value


def normalise_name(name: Any, zone: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise MissingRecordField("DNS record name is required.")
    name = name.strip().lower()
    if name in ("@", zone, zone + "."):
        return zone
    absolute = name.endswith(".")
    name = name.rstrip(".")
    if absolute and not (name == zone or name.endswith("." + zone)):
        raise RecordNameOutsideZone(
            f"DNS record name {name}. must be within the zone {zone} (or be relative to it)."
        )
    if not absolute and not name.endswith("." + zone):
        name = f"{name}.{zone}"
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL_RE.match(label) for label in labels):
        raise InvalidRecordName(f"DNS name is invalid: {name}")
    if "*" in labels[1:]:
        raise InvalidRecordName(f"DNS name is invalid: {name} (wildcard only as first label)")
    return name


def _valid_hostname(value: str) -> bool:
    host = value[:-1] if value.endswith(".") else value
    if not host or len(host) > 253:
        return False
    return all(_HOST_LABEL_RE.match(label) for label in host.split("."))


def validate_content(kind: str, content: Any) -> str:
    if not isinstance(content, str) or content == "":
        raise MissingRecordField(f"Content for {kind} record is required.")
    if kind == "A":
        try:
            ipaddress.IPv4Address(content)
        except ValueError as exc:
            raise InvalidAContent() from exc
    elif kind == "AAAA":
        try:
            ipaddress.IPv6Address(content)
        except ValueError as exc:
            raise InvalidAAAAContent() from exc
    elif kind in ("CNAME", "MX", "NS", "PTR"):
        if not _valid_hostname(content):
            raise InvalidHostnameContent(
                f"Content for {kind} record is invalid. Must be a valid hostname."
            )
    elif kind == "TXT" and len(content) > TXT_MAX_LENGTH:
        raise ContentTooLong(
            f"TXT content must be at most {TXT_MAX_LENGTH} characters, got {len(content)}."
        )
    return content


def validate_ttl(ttl: Any) -> int | float:
    if ttl is None:
        return 1
    ttl = _number(ttl, "ttl")
    if ttl != int(ttl) or not (ttl == 1 or 60 <= ttl <= 86400):
        raise InvalidTTL()
    return ttl


def validate_priority(kind: str, priority: Any) -> int | float | None:
    if kind != "MX":
        return None  # the real API ignores priority on types that have none
    if priority is None:
        raise InvalidPriority("MX records require a priority.")
    if isinstance(priority, bool) or not isinstance(priority, int | float):
        raise InvalidPriority()
    if priority != int(priority) or not 0 <= priority <= 65535:
        raise InvalidPriority()
    return priority


def validate_tags(tags: Any) -> list[str]:
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidFieldType("tags must be a list of strings of the form name:value.")
    return list(tags)


def validate_settings(settings: Any) -> dict[str, Any]:
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise InvalidFieldType("settings must be an object.")
    for key, value in settings.items():
        if key in ("flatten_cname", "ipv4_only", "ipv6_only") and not isinstance(
            value, bool | None
        ):
            raise InvalidFieldType(f"settings.{key} must be a boolean.")
    return dict(settings)


# ---- the backend ---------------------------------------------------------------------


class CloudflareBackend:
    """All Cloudflare state of the sandbox: `state[account_id][zone_id] -> Zone`."""

    def __init__(self, tokens: dict[str, str] | None = None) -> None:
        self.tokens: dict[str, str] = dict(tokens or {})
        self._initial_tokens = dict(self.tokens)
        self.lock = threading.RLock()
        self.state: dict[str, dict[str, Zone]] = {}
        self.api_tokens: dict[str, ApiToken] = {}  # token details, by token ID
        # bearer token -> the accounts whose tokens it may read (Account API Tokens Read);
        # "user" for its user's tokens (API Tokens Read)
        self.token_readers: dict[str, set[str]] = {}
        # the global API rate limit (set per command; None: not enforced) and its counters,
        # which survive between commands as Cloudflare's do (ratelimit.py)
        self.limit: ratelimit.Limit | None = None
        self.rate_windows: dict[str, ratelimit.Window] = {}

    # ---- lifecycle -------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every zone and record; tokens go back to those given to the constructor."""
        with self.lock:
            self.state = {}
            self.tokens = dict(self._initial_tokens)
            self.api_tokens = {}
            self.token_readers = {}
            self.rate_windows = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("api_tokens", {})  # a snapshot from before tokens were modelled
        state.setdefault("token_readers", {})
        state.setdefault("limit", None)
        state.setdefault("rate_windows", {})
        self.__dict__.update(state)
        self.lock = threading.RLock()

    # ---- seeding and plain reads for other sandbox components ------------------------

    def add_token(self, token: str, account_id: str = DEFAULT_ACCOUNT) -> None:
        with self.lock:
            self.tokens[token] = account_id

    def account_for_token(self, token: str) -> str | None:
        return self.tokens.get(token)

    def count_call(self, token: str) -> dict[str, str]:
        """One API call of `token` against the rate limit: the headers to answer with
        (none when the limit is off); RateLimited (429) past it."""
        if self.limit is None:
            return {}
        return ratelimit.take(self.rate_windows, self.limit, token)

    def add_api_token(self, token: ApiToken, readers: dict[str, str] | None = None) -> None:
        """Seed a token's details; `readers` maps bearer tokens to the owner ("user" or the
        account ID) whose tokens they may read."""
        with self.lock:
            self.api_tokens[token.id] = token
            for bearer, owner in (readers or {}).items():
                self.token_readers.setdefault(bearer, set()).add(owner)

    # ---- API tokens ------------------------------------------------------------------

    def verify_token(self, bearer: str) -> dict[str, Any]:
        """GET /user/tokens/verify: the caller's own token (its ID derived from its value)."""
        return {"id": hashlib.sha256(bearer.encode()).hexdigest()[:32], "status": "active"}

    def get_token(self, bearer: str, owner: str, token_id: str) -> dict[str, Any]:
        """GET /accounts/{owner}/tokens/{id} or /user/tokens/{id} (owner "user")."""
        if owner not in self.token_readers.get(bearer, set()):
            raise TokenReadDenied()
        token = self.api_tokens.get(token_id)
        if token is None or (token.account_id or "user") != owner:
            raise TokenNotFound()
        return token.to_dict()

    def create_zone(
        self, account_id: str, name: str, account_name: str = "sesame sandbox"
    ) -> dict[str, Any]:
        name = name.strip().lower().rstrip(".")
        if not name or not all(_HOST_LABEL_RE.match(label) for label in name.split(".")):
            raise InvalidRecordName(f"Invalid zone name: {name}")
        with self.lock:
            zones = self.state.setdefault(account_id, {})
            if any(zone.name == name for zone in zones.values()):
                raise ZoneAlreadyExists(f"{name} already exists")
            stamp = now()
            zone = Zone(
                id=new_id(),
                name=name,
                account_id=account_id,
                account_name=account_name,
                created_on=stamp,
                modified_on=stamp,
            )
            zones[zone.id] = zone
            return zone.to_dict()

    def zones(self, account_id: str) -> list[Zone]:
        return list(self.state.get(account_id, {}).values())

    def find_zone(self, zone_id: str) -> Zone | None:
        for zones in self.state.values():
            if zone_id in zones:
                return zones[zone_id]
        return None

    def zone_by_name(self, name: str) -> Zone | None:
        name = name.lower().rstrip(".")
        for zones in self.state.values():
            for zone in zones.values():
                if zone.name == name:
                    return zone
        return None

    def records(self, zone_id: str) -> list[DnsRecord]:
        """Copies of a zone's records (for the sandbox DNS server); [] for no such zone."""
        zone = self.find_zone(zone_id)
        return [replace(record) for record in zone.records.values()] if zone else []

    # ---- zones -----------------------------------------------------------------------

    def _zone(self, account_id: str, zone_id: str) -> Zone:
        zone = self.state.get(account_id, {}).get(zone_id)
        if zone is not None:
            return zone
        if self.find_zone(zone_id) is not None:
            raise ZoneAccessDenied()
        raise ZoneNotFound(zone_id)

    def list_zones(
        self,
        account_id: str,
        name: str | None = None,
        status: str | None = None,
        filter_account_id: str | None = None,
        page: int = 1,
        per_page: int | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        zones = self.zones(account_id)
        if filter_account_id is not None:
            zones = [z for z in zones if z.account_id == filter_account_id]
        if name is not None:
            zones = [z for z in zones if z.name == name.lower().rstrip(".")]
        if status is not None:
            zones = [z for z in zones if z.status == status]
        zones.sort(key=lambda z: z.name)
        size = min(per_page or ZONES_PER_PAGE, ZONES_MAX_PER_PAGE)
        return _page([z.to_dict() for z in zones], page, size)

    def get_zone(self, account_id: str, zone_id: str) -> dict[str, Any]:
        return self._zone(account_id, zone_id).to_dict()

    # ---- DNS records -----------------------------------------------------------------

    def _record(self, account_id: str, zone_id: str, record_id: str) -> tuple[Zone, DnsRecord]:
        zone = self._zone(account_id, zone_id)
        record = zone.records.get(record_id)
        if record is None:
            raise RecordNotFound()
        return zone, record

    def _build(self, zone: Zone, fields: dict[str, Any]) -> dict[str, Any]:
        """Validate a full set of user fields; return them normalised."""
        kind = fields.get("type")
        if not isinstance(kind, str) or not kind:
            raise MissingRecordField("DNS record type is required.")
        kind = kind.upper()
        if kind not in SUPPORTED_TYPES:
            raise UnsupportedRecordType(
                f"Record type {kind} is not supported by the sandbox "
                f"(supported: {', '.join(SUPPORTED_TYPES)})."
            )
        proxied = fields.get("proxied")
        if proxied is None:
            proxied = False
        if not isinstance(proxied, bool):
            raise InvalidFieldType("proxied must be a boolean.")
        if proxied and kind not in PROXIABLE_TYPES:
            raise ProxyNotAllowed()
        comment = fields.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise InvalidFieldType("comment must be a string.")
        return {
            "name": normalise_name(fields.get("name"), zone.name),
            "type": kind,
            "content": validate_content(kind, fields.get("content")),
            "ttl": validate_ttl(fields.get("ttl")),
            "proxied": proxied,
            "priority": validate_priority(kind, fields.get("priority")),
            "comment": comment,
            "tags": validate_tags(fields.get("tags")),
            "settings": validate_settings(fields.get("settings")),
        }

    @staticmethod
    def _check_conflicts(zone: Zone, new: dict[str, Any], skip: str | None = None) -> None:
        others = [r for r in zone.records.values() if r.name == new["name"] and r.id != skip]
        for other in others:
            same_content = (
                other.content.lower() == new["content"].lower()
                if new["type"] == "CNAME"
                else other.content == new["content"]
            )
            if (
                other.type == new["type"]
                and same_content
                and (new["type"] != "MX" or other.priority == new["priority"])
            ):
                raise IdenticalRecordExists()
        if new["type"] == "CNAME" and others:
            raise HostAlreadyExists()
        if any(other.type == "CNAME" for other in others):
            raise CnameAlreadyExists()

    def create_dns_record(
        self, account_id: str, zone_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        zone = self._zone(account_id, zone_id)
        fields = self._build(zone, body)
        if fields["proxied"] and fields["ttl"] != 1:
            raise ProxiedTTL()
        self._check_conflicts(zone, fields)
        stamp = now()
        record = DnsRecord(
            id=new_id(),
            zone_id=zone.id,
            created_on=stamp,
            modified_on=stamp,
            comment_modified_on=stamp if fields["comment"] else None,
            tags_modified_on=stamp if fields["tags"] else None,
            **fields,
        )
        zone.records[record.id] = record
        return record.to_dict(zone.name)

    def get_dns_record(self, account_id: str, zone_id: str, record_id: str) -> dict[str, Any]:
        zone, record = self._record(account_id, zone_id, record_id)
        return record.to_dict(zone.name)

    def update_dns_record(
        self, account_id: str, zone_id: str, record_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """PUT: the body replaces every user field (absent or null = default)."""
        zone, record = self._record(account_id, zone_id, record_id)
        return self._apply(zone, record, self._build(zone, body))

    def edit_dns_record(
        self, account_id: str, zone_id: str, record_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """PATCH: fields in the body override the stored ones (null clears)."""
        zone, record = self._record(account_id, zone_id, record_id)
        merged = {name: getattr(record, name) for name in USER_FIELDS}
        merged.update({k: v for k, v in body.items() if k in USER_FIELDS})
        if "type" in body and body["type"] != record.type and "priority" not in body:
            merged["priority"] = None
        return self._apply(zone, record, self._build(zone, merged))

    def _apply(self, zone: Zone, record: DnsRecord, fields: dict[str, Any]) -> dict[str, Any]:
        self._check_conflicts(zone, fields, skip=record.id)
        stamp = now()
        changed = any(getattr(record, name) != fields[name] for name in USER_FIELDS)
        if fields["comment"] != record.comment:
            record.comment_modified_on = stamp if fields["comment"] else None
        if fields["tags"] != record.tags:
            record.tags_modified_on = stamp if fields["tags"] else None
        for name in USER_FIELDS:
            setattr(record, name, fields[name])
        if changed:
            record.modified_on = stamp
        return record.to_dict(zone.name)

    def delete_dns_record(self, account_id: str, zone_id: str, record_id: str) -> dict[str, Any]:
        zone, record = self._record(account_id, zone_id, record_id)
        del zone.records[record.id]
        return {"id": record.id}

    def list_dns_records(
        self,
        account_id: str,
        zone_id: str,
        filters: dict[str, str],
        page: int = 1,
        per_page: int | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """`filters` holds the query's filter members, dotted (`name.exact`, `type`...)."""
        zone = self._zone(account_id, zone_id)
        match_all = filters.pop("match", "all") != "any"
        order = filters.pop("order", None)
        descending = filters.pop("direction", "asc") == "desc"
        tests = [_record_filter(key, value, zone.name) for key, value in filters.items()]
        tests = [test for test in tests if test is not None]
        records = list(zone.records.values())
        if tests:
            combine = all if match_all else any
            records = [r for r in records if combine(test(r) for test in tests)]
        if order is not None:
            if order not in ("type", "name", "content", "ttl", "proxied"):
                raise InvalidQuery(f"Invalid order: {order}")
            records.sort(key=lambda r: getattr(r, order), reverse=descending)
        size = min(per_page or RECORDS_PER_PAGE, RECORDS_MAX_PER_PAGE)
        return _page([r.to_dict(zone.name) for r in records], page, size)


def _record_filter(key: str, value: str, zone: str):
    """One list filter as a predicate; None for query members that are not filters."""
    attribute, _, operator = key.partition(".")
    if attribute == "tag":
        return _tag_filter(operator or "exact", value.lower(), key)
    if attribute == "type":
        wanted = {v.upper() for v in value.split(",")}
        return lambda r: r.type in wanted
    if attribute == "proxied":
        flag = value.lower() == "true"
        return lambda r: r.proxied is flag
    if attribute == "search":
        needle = value.lower()
        return lambda r: (
            needle in r.name or needle in r.content.lower() or (needle in (r.comment or "").lower())
        )
    if attribute not in ("name", "content", "comment"):
        return None
    operator = operator or "exact"
    if attribute == "name":
        value = value.lower().rstrip(".")
        if operator == "exact" and value == "@":
            value = zone

    def text(record: DnsRecord) -> str | None:
        return getattr(record, attribute)

    if operator == "present":
        return lambda r: bool(text(r))
    if operator == "absent":
        return lambda r: not text(r)
    compare = _comparison(operator, value, key)
    return lambda r: text(r) is not None and compare(text(r))


def _comparison(operator: str, value: str, key: str) -> Callable[[str], bool]:
    """The string test of a filter's operator (`name.contains=x`: `x in s`)."""
    compare = {
        "exact": lambda s: s == value,
        "contains": lambda s: value in s,
        "startswith": lambda s: s.startswith(value),
        "endswith": lambda s: s.endswith(value),
    }.get(operator)
    if compare is None:
        raise InvalidQuery(f"Invalid filter: {key}")
    return compare


def _tag_filter(operator: str, value: str, key: str):
    """`tag.present=name`/`tag.absent=name` test tag names; the rest whole `name:value`s."""
    if operator in ("present", "absent"):
        wanted = operator == "present"
        return lambda r: any(t.lower().partition(":")[0] == value for t in r.tags) is wanted
    compare = _comparison(operator, value, key)
    return lambda r: any(compare(t.lower()) for t in r.tags)


def _page(items: list[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, int]]:
    if page < 1 or per_page < 1:
        raise InvalidQuery("page and per_page must be positive integers.")
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    total = len(items)
    return chunk, {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": total,
        "total_pages": (total + per_page - 1) // per_page,
    }
