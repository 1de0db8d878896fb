"""sesame.yaml: the one file a platform engineer edits and an auditor reads.

Parsed with pydantic; every problem becomes one ConfigError line naming the file, the
key and the fix, before any command touches Terraform.
"""

from __future__ import annotations

import codecs
import difflib
import re
import stat
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import idna
import yaml
from publicsuffixlist import PublicSuffixList
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from sesame import exports
from sesame.errors import ConfigError
from sesame.names import SENDER_POLICY_QUOTA, sender_policy_size
from sesame.regions import SES_REGIONS

DEFAULT_PATH = Path("sesame.yaml")

# Bounds on what sesame reads: a 1,000-domain configuration is about 200 KB and 60,000
# YAML values; nothing it holds nests deeper than 6 levels.
MAX_FILE_BYTES = 1024 * 1024
MAX_YAML_VALUES = 200_000  # after expanding aliases (a 705-byte alias bomb expands to 10^9)
MAX_YAML_DEPTH = 64
SHOWN_CHARS = 60  # of any value echoed in a message

_LDH = re.compile(r"^[a-z0-9-]+$")
# Local part: RFC 5321 dot-atom characters, plus the IAM wildcards `*` and `?`.
ADDRESS_RE = re.compile(r"^(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})@(?P<domain>.+)$")
R2_ACCOUNT_RE = re.compile(r"^[0-9a-f]{32}$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
# A DMARC report URI (RFC 7489 §6.2) as it stands in the _dmarc TXT record: every character
# of the local part is one a mailto URI may carry unencoded and that cannot end the TXT
# string (`"`, `\\`), the URI list (`,`), the tag (`;`) or the size limit (`!`); anything
# else must be percent-encoded (%22 for a quote). (terraform/cloudflare escapes `"` and `\\`
# in every TXT string, RFC 1035 §5.1, but a URI holding them would still not be DMARC.)
URI_LOCAL_CHAR = r"[A-Za-z0-9._~+&'*=$()-]"
MAILTO_RE = re.compile(
    rf"^mailto:(?P<local>(?:{URI_LOCAL_CHAR}|%[0-9A-Fa-f]{{2}})+)"
    r"@(?P<domain>[^\s,;!\"\\]+)(![0-9]+[kmgt]?)?$"
)
# AWS tags: keys 1-128 and values 0-256 of letters, digits, spaces and _.:/=+-@.
TAG_RE = re.compile(r"^[\w\s.:/=+\-@]*$")
SHARD_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def shown(value: Any) -> str:
    """`value` quoted for a message, cut to SHOWN_CHARS with an ellipsis."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 1] + "…"
    return "'" + text.replace("\n", "\\n") + "'"


# -- DNS names ---------------------------------------------------------------------------


@cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)  # the list bundled with the library


def _punycode(name: str) -> str | None:
    try:
        return idna.encode(name, uts46=True).decode()
    except (idna.IDNAError, UnicodeError):
        return None


def name_problem(name: str, *, relative: bool = False) -> str | None:
    """Why `name` cannot be a DNS name sesame publishes (what is wrong; fix: ...), or None.

    `relative`: one or more labels written before a domain (mail_from), not a full name.
    """
    example = "mail" if relative else "example.com"
    if not name:
        return f"is empty; fix: write a name like {example}"
    if not name.isascii():
        puny = _punycode(name.rstrip("."))
        if puny:
            return f"is not ASCII; fix: write its IDNA (punycode) form {puny}"
        return "is not ASCII and not a valid internationalized name; fix: check the spelling"
    if "://" in name:
        host = urlsplit(name).hostname or example
        return f"is a URL, not a DNS name; fix: write only the name, {shown(host)}"
    if any(c.isspace() for c in name):
        return "contains a space; fix: remove it (a DNS name has none)"
    if "@" in name:
        return f"is an email address; fix: write only the name, {shown(name.rsplit('@', 1)[1])}"
    if "/" in name or ":" in name:
        return f"has a path or port; fix: write only the name, e.g. {example}"
    if name.endswith("."):
        if relative:
            return "ends with a dot (an absolute name); fix: write only the label(s), e.g. mail"
        return f"ends with a dot; fix: write {shown(name.rstrip('.'))} (no trailing dot)"
    if name.startswith(".") or ".." in name:
        return "has an empty label (a leading dot or two dots in a row); fix: remove the extra dot"
    if name != name.lower():
        return (
            f"has uppercase letters; fix: write {shown(name.lower())} (DNS names are "
            "case-insensitive and sesame writes them in lowercase)"
        )
    for label in name.split("."):
        if len(label) > 63:
            return (
                f"has a label of {len(label)} characters ({shown(label)}); fix: at most 63 "
                "characters between dots"
            )
        if not _LDH.match(label):
            return (
                f"label {shown(label)} has characters other than letters, digits and hyphens; "
                "fix: use only a-z, 0-9 and -"
            )
        if label.startswith("-") or label.endswith("-"):
            return f"label {shown(label)} starts or ends with a hyphen; fix: remove the hyphen"
        if label[2:4] == "--":
            if not label.startswith("xn--"):
                return (
                    f"label {shown(label)} has -- in positions 3-4, which DNS reserves; "
                    "fix: rename it"
                )
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                return f"label {shown(label)} is not valid punycode; fix: re-encode the name"
    if len(name) > 253:
        return f"is {len(name)} characters; fix: at most 253 characters"
    if relative:
        return None
    if "." not in name:
        return f"is a single label; fix: a fully qualified name like {name}.com"
    if name.rsplit(".", 1)[1].isdigit():
        return "is an IP address, not a domain name; fix: write the domain name"
    if _public_suffixes().is_public(name):
        return (
            "is a public suffix (names are registered under it), not a domain; fix: name "
            "your own domain, e.g. example." + name
        )
    return None


def _domain_name(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise ValueError(f"{shown(name)} {problem}")
    return name


DomainName = Annotated[str, AfterValidator(_domain_name)]


def checked(ok: Callable[[str], object], problem: str) -> AfterValidator:
    """A string field's check: a value `ok` refuses fails with "'<value>' <problem>" (the
    problem ends with its fix); None (an optional field left out) passes."""

    def check(v: str | None) -> str | None:
        if v is not None and not ok(v):
            raise ValueError(f"{shown(v)} {problem}")
        return v

    return AfterValidator(check)


def _state_key(v: str) -> bool:
    return bool(v) and not v.startswith("/") and len(v) <= 1024 and v.endswith(".tfstate")


R2AccountId = Annotated[
    str,
    checked(
        R2_ACCOUNT_RE.match,
        "is not a Cloudflare account ID; fix: use the 32 lowercase hex characters shown on "
        "the R2 overview page",
    ),
]
BucketName = Annotated[
    str,
    checked(
        BUCKET_RE.match,
        "is not a valid R2 bucket name; fix: 3-63 lowercase letters, digits, hyphens",
    ),
]
StateKey = Annotated[
    str,
    checked(
        _state_key,
        "is not a state key; fix: a relative path ending in .tfstate, e.g. "
        "sesame/terraform.tfstate",
    ),
]
ZoneId = Annotated[
    str,
    checked(
        R2_ACCOUNT_RE.match,
        "is not a Cloudflare zone ID; fix: use the 32 hex characters from the zone's overview "
        "page, or remove zone_id to look the zone up by name",
    ),
]


def _address(address: str, *, wildcards: bool) -> str:
    """A problem with an address's syntax, named (the domain is checked by the caller)."""
    m = ADDRESS_RE.match(address)
    if not m:
        allowed = " (wildcards * and ? allowed in the local part)" if wildcards else ""
        return f"{shown(address)} is not an email address; fix: write local@domain{allowed}"
    if not wildcards and ("*" in address or "?" in address):
        return f"{shown(address)} has a wildcard; fix: write one real address"
    problem = name_problem(m["domain"])
    if problem:
        fixed = m["domain"].lower() if m["domain"] != m["domain"].lower() else None
        if fixed and name_problem(fixed) is None:
            return (
                f"{shown(address)}: the domain part has uppercase letters; fix: write "
                f"{shown(m['local'] + '@' + fixed)} (the local part stays as it is)"
            )
        return f"{shown(address)}: the domain part {shown(m['domain'])} {problem}"
    return ""


IAM_NAME_CHARS = "letters, digits and +=,.@_-"


def iam_name_problem(name: str, limit: int) -> str | None:
    """What keeps `name` from being an IAM user or role name (the ARN's last part, IAM's
    characters, `limit` long at most), as `is ...`/`has ...`; None if nothing does."""
    if name.startswith("arn:"):
        return f"is an ARN, not a name (the name is {shown(name.rsplit('/', 1)[-1])})"
    if not name:
        return "is empty"
    bad = next((c for c in name if not re.fullmatch(r"[A-Za-z0-9+=,.@_-]", c)), None)
    if bad is not None:
        what = "a space" if bad == " " else "whitespace" if bad.isspace() else repr(bad)
        return f"has {what}, which IAM names cannot hold"
    if len(name) > limit:
        return f"is {len(name)} characters, more than {limit}"
    return None


def _usable_addresses(addresses: list[str], *, wildcards: bool) -> list[str]:
    """`addresses` if each is usable (`_address`), else ValueError naming the first problem."""
    for address in addresses:
        problem = _address(address, wildcards=wildcards)
        if problem:
            raise ValueError(problem)
    return addresses


def _keys_named(mapping: dict[str, Any], ok: Callable[[str], object], problem: str) -> dict:
    """`mapping` if `ok` accepts each key, else ValueError "'<key>' <problem>"."""
    for key in mapping:
        if not ok(key):
            raise ValueError(f"{shown(key)} {problem}")
    return mapping


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Backend(Strict):
    """Where Terraform state lives: a Cloudflare R2 bucket, through the S3 backend."""

    account_id: R2AccountId = Field(description="Cloudflare account ID that owns the R2 bucket")
    bucket: BucketName
    key: StateKey = "sesame/terraform.tfstate"


class Dmarc(Strict):
    """The _dmarc TXT record (RFC 7489)."""

    policy: Literal["none", "quarantine", "reject"] = "none"
    subdomain_policy: Literal["none", "quarantine", "reject"] | None = None
    pct: Annotated[int, Field(ge=0, le=100, strict=True)] = 100
    rua: list[str] = []
    ruf: list[str] = []
    adkim: Literal["r", "s"] = "r"
    aspf: Literal["r", "s"] = "r"
    # What to do with a _dmarc record that exists before sesame: keep it untouched, or
    # adopt it (replace it with this policy; destroy puts the original back).
    existing: Literal["keep", "adopt"] | None = None

    @field_validator("rua", "ruf")
    @classmethod
    def _uris(cls, v: list[str]) -> list[str]:
        for uri in v:
            m = MAILTO_RE.match(uri)
            if m:
                problem = name_problem(m["domain"])
                if problem:
                    raise ValueError(f"{shown(uri)}: the domain {shown(m['domain'])} {problem}")
                continue
            local = uri.removeprefix("mailto:").rsplit("@", 1)[0]
            bad = next((c for c in local if not re.fullmatch(URI_LOCAL_CHAR, c) and c != "%"), None)
            if uri.startswith("mailto:") and "@" in uri and bad is not None:
                encoded = "".join(f"%{b:02X}" for b in bad.encode())
                raise ValueError(
                    f"{shown(uri)} is not a DMARC report URI: {bad!r} cannot stand in it (it "
                    f"would break the _dmarc TXT record); fix: percent-encode it as {encoded} or "
                    "use a plain address such as mailto:reports@example.com"
                )
            raise ValueError(
                f"{shown(uri)} is not a DMARC report URI; "
                "fix: write it as mailto:reports@example.com"
            )
        return v


PARAMETER_PATH_RE = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
# Secrets Manager's name characters (CreateSecret, Name); sesame adds "/previous" to it.
SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,400}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ParameterPath = Annotated[
    str,
    checked(
        PARAMETER_PATH_RE.match,
        "is not a Parameter Store path; fix: start with / and use letters, digits and _.- "
        "between slashes, e.g. /apps/web/ses",
    ),
]


class Export(Strict):
    """How the sender's app reads its credentials: names (a preset, explicit, or both) and
    where sesame delivers them after apply (docs/credentials.md)."""

    preset: Literal["rails-smtp", "aws-sdk", "aws-default"] | None = None
    # The app's variable name -> sesame's field (SMTP_USERNAME, AWS_SECRET_ACCESS_KEY, ...).
    names: dict[str, str] = {}
    # SSM Parameter Store path: one SecureString per name under it (previous key: /previous/).
    parameter_store: ParameterPath | None = None
    # Secrets Manager secret name: one JSON object of the names (previous key: NAME/previous).
    secrets_manager: str | None = None

    @field_validator("secrets_manager")
    @classmethod
    def _secret_name(cls, v: str | None) -> str | None:
        if v is not None and (not SECRET_NAME_RE.match(v) or re.search(r"-[A-Za-z0-9]{6}$", v)):
            raise ValueError(
                f"'{v}' is not a Secrets Manager name sesame can use; fix: letters, digits and "
                "/_+=.@- only, not ending in a hyphen and six characters (AWS reads that as "
                "an ARN suffix), e.g. apps/web/ses"
            )
        return v

    @field_validator("names")
    @classmethod
    def _names(cls, v: dict[str, str]) -> dict[str, str]:
        return _keys_named(
            v,
            ENV_NAME_RE.match,
            "is not a variable name; fix: letters, digits and _, e.g. SMTP_USER",
        )


class Sender(Strict):
    """An app allowed to send as its domain: `smtp`, `api` (IAM user + key) or `role`."""

    kind: Literal["smtp", "api", "role"]
    # Addresses the sender may put in From (ses:FromAddress, wildcards allowed, case-sensitive).
    from_: list[str] = Field(alias="from", min_length=1)
    role: str | None = None
    export: Export | None = None

    @field_validator("from_")
    @classmethod
    def _addresses(cls, v: list[str]) -> list[str]:
        return _usable_addresses(v, wildcards=True)

    @model_validator(mode="after")
    def _role(self) -> Sender:
        if self.kind == "role" and not self.role:
            raise ValueError("a `role` sender needs `role: <IAM role name>`; fix: add it")
        if self.kind != "role" and self.role is not None:
            raise ValueError(f"`role` is only for kind role, not {self.kind}; fix: remove it")
        problem = None if self.role is None else iam_name_problem(self.role, 64)
        if problem:
            raise ValueError(
                f"role {shown(self.role)} {problem}; fix: write the role's name exactly as the "
                f"IAM console shows it ({IAM_NAME_CHARS}, at most 64)"
            )
        if self.export is not None:
            self._check_export(self.export)
        return self

    def _check_export(self, export: Export) -> None:
        if self.kind == "role":
            raise ValueError("a role sender has no credentials to export; fix: remove export")
        if export.preset and exports.PRESETS[export.preset][0] != self.kind:
            kind = exports.PRESETS[export.preset][0]
            raise ValueError(
                f"preset {export.preset} is for {kind} senders, this one is {self.kind}; "
                "fix: pick a preset of its kind, or list names"
            )
        allowed = exports.fields_for(self.kind)
        for app, field in export.names.items():
            if field not in allowed:
                raise ValueError(
                    f"names.{app}: '{field}' is not a field of a {self.kind} sender; fix: one "
                    "of " + ", ".join(allowed)
                )


class Domain(Strict):
    """One sending domain."""

    mail_from: str = Field(default="mail", description="MAIL FROM subdomain label(s)")
    behavior_on_mx_failure: Literal["USE_DEFAULT_VALUE", "REJECT_MESSAGE"] = "USE_DEFAULT_VALUE"
    dmarc: Dmarc = Dmarc()
    senders: dict[str, Sender] = {}
    # Where the domain's DNS lives: a zone in this Cloudflare account, or `manual` (the
    # domain's owner publishes the records `sesame records DOMAIN` prints).
    dns: Literal["cloudflare", "manual"] = "cloudflare"
    zone: str | None = None
    zone_id: ZoneId | None = None
    # Which shard (own state, own Terraform run) holds the domain; None: the `shards` rule.
    shard: str | None = None

    @field_validator("shard")
    @classmethod
    def _shard(cls, v: str | None) -> str | None:
        if v is not None and not SHARD_RE.match(v):
            raise ValueError(
                f"{shown(v)} is not a shard name; fix: 1-63 lowercase letters, digits, - and _, "
                "starting with a letter or digit (it becomes a state key)"
            )
        return v

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, v: str) -> str:
        if v == "@":
            raise ValueError(
                "'@' (the domain itself) cannot be the MAIL FROM domain; fix: a subdomain "
                "label such as mail"
            )
        problem = name_problem(v, relative=True)
        if problem:
            raise ValueError(f"{shown(v)} {problem}")
        return v

    @field_validator("zone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        problem = None if v is None else name_problem(v)
        if problem:
            raise ValueError(f"{shown(v)} {problem}")
        return v

    @field_validator("senders")
    @classmethod
    def _sender_names(cls, v: dict[str, Sender]) -> dict[str, Sender]:
        for name, sender in v.items():
            problem = iam_name_problem(name, 56)
            if problem:
                becomes = (
                    "it names the role's inline policy ses-send-<name>"
                    if sender.kind == "role"
                    else "it becomes the IAM user's name"
                )
                suggestion = re.sub(r"[^A-Za-z0-9+=,.@_-]+", "-", name).strip("-")[:56]
                example = f", e.g. {shown(suggestion)}" if suggestion else ""
                raise ValueError(
                    f"sender name {shown(name)} {problem} ({becomes}); fix: rename it with "
                    f"1-56 {IAM_NAME_CHARS}{example}"
                )
        return v


class Alarms(Strict):
    """CloudWatch alarms on the SES reputation metrics (AWS suspends at 10 % / 0.5 %)."""

    # strict: YAML's true/yes would otherwise count as 1
    bounce_rate: Annotated[float, Field(gt=0, lt=1, strict=True)] = 0.05
    complaint_rate: Annotated[float, Field(gt=0, lt=1, strict=True)] = 0.001
    emails: list[str] = []

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        return _usable_addresses(v, wildcards=False)


class Shards(Strict):
    """Split the domains over several states (docs/scale.md#shards): each shard has its own
    state key `<key_prefix>/<shard>.tfstate`, Terraform run and lock; the account-wide
    resources (the alarms topic and its subscriptions, the account alarms) live in `global`.

    A domain's shard is its `shard:` if set, else the rule: with `count: N`, the shard among
    shard-0 … shard-(N-1) that rendezvous hashing picks (sesame.shards.assign)."""

    count: Annotated[int, Field(ge=0, le=1000, strict=True)] = 0
    global_: str = Field(default="global", alias="global")
    key_prefix: str | None = None

    @field_validator("global_")
    @classmethod
    def _global(cls, v: str) -> str:
        if not SHARD_RE.match(v):
            raise ValueError(
                f"{shown(v)} is not a shard name; fix: 1-63 lowercase letters, digits, - and _"
            )
        return v

    @field_validator("key_prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is not None and (not v or v.startswith("/") or v.endswith("/") or len(v) > 900):
            raise ValueError(
                f"{shown(v)} is not a state key prefix; fix: a relative path without a "
                "trailing slash, e.g. sesame/shards"
            )
        return v


class Config(Strict):
    """The whole sesame.yaml."""

    region: str
    backend: Backend
    tags: dict[str, str] = {}
    alarms: Alarms = Alarms()
    shards: Shards | None = None
    domains: dict[DomainName, Domain] = Field(min_length=1)
    # Set on a shard's view (sesame.shards.view), never read from the file.
    _shard: str | None = PrivateAttr(default=None)

    @property
    def shard(self) -> str | None:
        """The shard this view plans; None: the whole configuration (one state or all)."""
        return self._shard

    @property
    def account_resources(self) -> bool:
        """Whether this run holds the account-wide resources (alarms topic, account alarms)."""
        return self.shards is None or self._shard is None or self._shard == self.shards.global_

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v not in SES_REGIONS and v.lower() in SES_REGIONS:
            raise ValueError(f"{shown(v)} has uppercase letters; fix: write {shown(v.lower())}")
        if v not in SES_REGIONS:
            raise ValueError(
                f"{shown(v)} is not a region where SES v2 runs; fix: pick one of "
                + ", ".join(sorted(SES_REGIONS))
            )
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not 1 <= len(key) <= 128 or not TAG_RE.match(key) or key.startswith("aws:"):
                raise ValueError(
                    f"tag key {shown(key)} is not an AWS tag key; fix: 1-128 letters, digits, "
                    "spaces and _.:/=+-@, not starting with aws:"
                )
            if len(value) > 256 or not TAG_RE.match(value):
                raise ValueError(
                    f"tag {key}: {shown(value)} is not an AWS tag value; fix: at most 256 "
                    "letters, digits, spaces and _.:/=+-@"
                )
        return v

    def _mail_from_problem(self, domain: str, mail_from: str) -> str | None:
        """Why `mail_from` under `domain` does not name the intended MAIL FROM subdomain."""
        full = f"{mail_from}.{domain}"
        where = f"domains.{domain}.mail_from: {shown(mail_from)}"
        # Names the user may have written out in full: this domain, its zone, its registrable
        # domain, and every configured domain.
        names = {domain, self.zone_of(domain), _public_suffixes().privatesuffix(domain)}
        labels = mail_from.split(".")
        for i in range(len(labels)):  # the longest written-out name first
            name = ".".join(labels[i:])
            if name in names or name in self.domains:
                label = ".".join(labels[:i])
                if not label:
                    return (
                        f"{where} is a domain, not a subdomain label: it would make the MAIL "
                        f"FROM domain {full}; fix: write a label such as mail (for "
                        f"mail.{domain})"
                    )
                hint = label if name == domain else "mail"
                return (
                    f"{where} is a full name: it would make the MAIL FROM domain {full}; "
                    f"fix: write only the part before {domain}, e.g. {hint}"
                )
        if len(full) > 253:
            return (
                f"{where} makes {full} ({len(full)} characters); fix: a shorter label "
                "(a DNS name has at most 253)"
            )
        return None

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        seen: dict[str, tuple[str, str]] = {}
        mail_froms: dict[str, str] = {}
        for domain, d in self.domains.items():
            problem = self._mail_from_problem(domain, d.mail_from)
            if problem:
                raise ValueError(problem)
            full = f"{d.mail_from}.{domain}"
            if full in self.domains:
                raise ValueError(
                    f"domains.{domain}.mail_from: MAIL FROM {full} is also a sending domain "
                    "here (their SPF records would collide); fix: choose another label, "
                    "e.g. bounce"
                )
            if full in mail_froms:
                raise ValueError(
                    f"domains.{domain}.mail_from: MAIL FROM {full} is also the MAIL FROM of "
                    f"{mail_froms[full]}; fix: choose another label for one of them"
                )
            mail_froms[full] = domain
            if d.zone is not None and domain != d.zone and not domain.endswith("." + d.zone):
                raise ValueError(
                    f"domains.{domain}.zone: {shown(d.zone)} does not contain {domain}; fix: name "
                    f"the Cloudflare zone {domain} is in (e.g. "
                    f"{_public_suffixes().privatesuffix(domain) or domain})"
                )
            for name, sender in d.senders.items():
                # IAM user names are unique regardless of case: App and app are one user.
                if name.lower() in seen:
                    other_domain, other = seen[name.lower()]
                    also = "" if other == name else f" (as {other}; IAM ignores case)"
                    raise ValueError(
                        f"domains.{domain}.senders.{name}: the name is also used under "
                        f"{other_domain}{also}; fix: rename one (sender names become IAM user "
                        "names and must be unique)"
                    )
                seen[name.lower()] = (domain, name)
                for address in sender.from_:
                    at = address.rsplit("@", 1)[1]
                    if at != domain:
                        raise ValueError(
                            f"domains.{domain}.senders.{name}.from: {shown(address)} is outside "
                            f"{domain}; fix: use an address ending in @{domain}"
                        )
                self._sender_policy_problem(domain, name, sender)
            self._shard_problem(domain, d)
        return self

    def _sender_policy_problem(self, domain: str, name: str, sender: Sender) -> None:
        """IAM refuses a sender's inline policy past its quota (names.SENDER_POLICY_QUOTA)
        with LimitExceeded, half-way through an apply: refuse the From list here instead."""
        size = sender_policy_size(self.region, domain, sender.kind, sender.from_)
        quota = SENDER_POLICY_QUOTA[sender.kind]
        if size > quota:
            holder = "role" if sender.kind == "role" else "user"
            raise ValueError(
                f"domains.{domain}.senders.{name}.from: {len(sender.from_)} addresses make the "
                f"sender's IAM policy about {size:,} characters, over IAM's {quota:,} for a "
                f"{holder}'s inline policies; fix: fewer addresses, or patterns such as "
                f'"*@{domain}" or "noreply+*@{domain}"'
            )

    def _shard_problem(self, domain: str, d: Domain) -> None:
        if self.shards is None:
            if d.shard is not None:
                raise ValueError(
                    f"domains.{domain}.shard: {shown(d.shard)} names a shard but sesame.yaml has "
                    "no `shards:` section; fix: add `shards: {count: N}` (or `shards: {}` to "
                    "name every domain's shard), or remove shard"
                )
            return
        if d.shard is not None and d.shard == self.shards.global_:
            raise ValueError(
                f"domains.{domain}.shard: {shown(d.shard)} is the global shard (account-wide "
                "resources only); fix: name another shard"
            )
        if self.shards.global_ in {f"shard-{i}" for i in range(self.shards.count)}:
            raise ValueError(
                f"shards.global: {shown(self.shards.global_)} is also a hashed shard's name; "
                "fix: name the global shard otherwise (default: global)"
            )
        if d.shard is None and self.shards.count == 0:
            raise ValueError(
                f"domains.{domain}: has no shard and shards.count is 0; fix: add "
                "`shard: NAME` to the domain, or set shards.count"
            )

    def cloudflare_domains(self) -> dict[str, Domain]:
        return {name: d for name, d in self.domains.items() if d.dns == "cloudflare"}

    def zone_of(self, domain: str) -> str:
        return self.domains[domain].zone or domain

    def senders(self) -> dict[str, tuple[str, Sender]]:
        """Every sender by name, with its domain."""
        return {n: (dom, s) for dom, d in self.domains.items() for n, s in d.senders.items()}


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or "[" in str(part):
            continue
        else:
            text = str(part)
            if len(text) > SHOWN_CHARS:
                text = text[: SHOWN_CHARS - 1] + "…"
            out += ("." if out else "") + text
    return out


def _unwrap(tp: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` -> X."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, UnionType):
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def keys_at(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the schema allows in the mapping at `loc` (a pydantic location), as they
    are written in sesame.yaml; [] where `loc` is not a mapping of known keys."""
    tp: Any = Config
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = tp.model_fields.items()
            tp = next((f.annotation for n, f in fields if part in (n, f.alias)), None)
        elif get_origin(tp) in (dict, list):
            tp = get_args(tp)[-1]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return []


def _unknown_key(path: Path, e: Any) -> str:
    """An unknown key: the allowed key it is closest to (a typo), else the allowed keys."""
    loc = _loc(e["loc"])
    key = str(e["loc"][-1])
    allowed = keys_at(e["loc"][:-1])
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.7)
    if close:
        return (
            f"{path}: {loc}: unknown key {shown(key)} (did you mean {shown(close[0])}?); fix: "
            f"rename it to {close[0]}"
        )
    if allowed:
        return f"{path}: {loc}: unknown key {shown(key)}; fix: remove it, or use one of " + (
            ", ".join(allowed)
        )
    return f"{path}: {loc}: unknown key {shown(key)}; fix: remove it or check its spelling"


# pydantic's error types for a value that is no number, and for one that is no mapping
NUMBER_ERRORS = frozenset(
    {"float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"}
)
MAPPING_ERRORS = frozenset({"dict_type", "model_type", "model_attributes_type"})


def _one_line(path: Path, err: ValidationError) -> str:
    errors = err.errors(include_url=False)
    e = errors[0]
    if e["type"] == "missing":  # a misspelt key both misses one key and adds an unknown one
        parent = e["loc"][:-1]
        typo = [x for x in errors if x["type"] == "extra_forbidden" and x["loc"][:-1] == parent]
        e = typo[0] if typo else e
    loc = _loc(e["loc"])
    kind = e["type"]
    msg = str(e["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return _unknown_key(path, e)
    if kind == "missing":
        return f"{path}: {loc}: required key is missing; fix: add it"
    value = e.get("input")
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str((e.get("ctx") or {}).get("expected", "")))
        same = [a for a in allowed if isinstance(value, str) and a.lower() == value.lower()]
        if same:
            return f"{path}: {loc}: {shown(value)} is not allowed; fix: write {shown(same[0])}"
        if not allowed:
            return f"{path}: {loc}: {shown(value)} is not allowed; fix: {msg.lower()}"
        # the allowed values as they must be written (never case-folded: the check is exact)
        one_of = ", ".join(shown(a) for a in allowed)
        return f"{path}: {loc}: {shown(value)} is not allowed; fix: write one of {one_of}"
    if kind == "string_type" and isinstance(value, bool | int | float):
        if isinstance(value, bool):
            what, quoted = "true/false (so are yes, no, on and off)", '"yes"'
        else:
            what, quoted = "a number", '"0123"'
        return (
            f"{path}: {loc}: YAML reads this value as {what}, not text; fix: put it in "
            f"quotes, e.g. {quoted}"
        )
    if kind == "too_short":
        least = (e.get("ctx") or {}).get("min_length", 1)
        return f"{path}: {loc}: is empty; fix: list at least {least} entry"
    if kind in ("less_than", "less_than_equal", "greater_than", "greater_than_equal"):
        bound = msg.removeprefix("Input should be ")
        said = value if isinstance(value, int | float) else shown(value)
        return f"{path}: {loc}: {said} is out of range; fix: use a value {bound}"
    if kind in NUMBER_ERRORS:
        example = "0.05" if kind.startswith("float") else "100"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{path}: {loc}: {value} is not a whole number; fix: write one, e.g. {example}"
        what = (
            "this value as true/false (so are yes, no, on and off)"
            if isinstance(value, bool)
            else f"{shown(value)} as text"
        )
        return (
            f"{path}: {loc}: YAML reads {what}, not a number; fix: write a number without "
            f"quotes, e.g. {example}"
        )
    if kind in MAPPING_ERRORS:
        key = str(e["loc"][-1])
        if value is None:
            return f"{path}: {loc}: is empty; fix: write its keys indented below `{key}:`"
        what = {list: "a list", str: f"the text {shown(value)}"}.get(type(value), shown(value))
        return (
            f"{path}: {loc}: is {what}, not a mapping of keys; fix: write its keys indented "
            f"below `{key}:` (see the README's sesame.yaml)"
        )
    if kind == "list_type" and isinstance(value, str):
        return f"{path}: {loc}: {shown(value)} is one value, not a list; fix: write [{value}]"
    if not loc:  # whole-file checks name their own key
        return f"{path}: {msg}"
    if "fix:" in msg:
        return f"{path}: {loc}: {msg}"
    return f"{path}: {loc}: {msg}; fix: correct the value"


# -- YAML --------------------------------------------------------------------------------


class YamlRefused(yaml.YAMLError):
    """YAML that parses but that sesame refuses: the message is the rest of the one line."""


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys, and bounded in alias expansion and depth.

    Aliases share one node, so a small file can stand for a huge document (each value it
    expands to is counted once per use); anything that walks or prints it then pays that size.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._expanded: dict[int, int] = {}  # id(node) -> values it expands to
        self._depth = 0
        self._open: set[str] = set()  # anchors of the collections being composed

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            line = self.peek_event().start_mark.line + 1
            raise YamlRefused(
                f"line {line}: nested more than {MAX_YAML_DEPTH} levels deep; fix: a "
                "configuration nests at most a few levels, check the brackets and indentation"
            )
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent) and anchor in self._open:
            raise YamlRefused(
                f"line {event.start_mark.line + 1}: alias *{anchor} refers to the value that "
                "contains it; fix: write the value out"
            )
        if anchor is not None and not isinstance(event, yaml.AliasEvent):
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)
        if id(node) not in self._expanded:
            if isinstance(node, yaml.ScalarNode):
                children: list[Any] = []
            elif isinstance(node, yaml.SequenceNode):
                children = node.value
            else:
                children = [n for pair in node.value for n in pair]
            self._expanded[id(node)] = 1 + sum(self._expanded[id(c)] for c in children)
        if self._expanded[id(node)] > MAX_YAML_VALUES:
            raise YamlRefused(
                f"line {node.start_mark.line + 1}: aliases expand this to more than "
                f"{MAX_YAML_VALUES:,} values; fix: write the values out, without nested aliases"
            )
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *base` then a key of its own overrides base: intended
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = first.get(key)
                except TypeError:
                    continue  # an unhashable key: the base class names it
                line = key_node.start_mark.line + 1
                if seen is not None:
                    raise YamlRefused(
                        f"line {line}: duplicate key {shown(key)} (first at line {seen}); "
                        "fix: keep one (YAML would silently keep only the last)"
                    )
                first[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, path: Path, error: type[ConfigError] = ConfigError) -> Any:
    """`text` (from `path`) as data, or `error` in one line: too big, not YAML, or refused."""
    if len(text) > MAX_FILE_BYTES or len(text.encode(errors="surrogateescape")) > MAX_FILE_BYTES:
        raise error(
            f"{path}: is larger than the {MAX_FILE_BYTES:,} bytes sesame reads; fix: check "
            "that it is the right file (sesame.yaml and secrets.yaml are a few KB)"
        )
    try:
        return yaml.load(text, Loader=StrictLoader)  # StrictLoader is a SafeLoader
    except YamlRefused as exc:
        raise error(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        quote = issubclass(error, ConfigError)  # never echo a value from secrets.yaml
        raise error(f"{path}: {yaml_problem(exc, text, quote=quote)}") from None


# A plain value YAML reads as something else: `*x` an alias, `&x` an anchor, `!x` a tag;
# `@` and backtick are reserved and cannot start a value at all.
_INDICATORS = {"*": "an alias (a reference to an &anchor)", "&": "an anchor", "!": "a tag"}
_RESERVED = ("@", "`")
_TOKEN_END = re.compile(r"[\s,\[\]{}#]")


def _token(text: str, line: int, column: int) -> str:
    """The plain value that starts at (line, column), up to a space, comma or bracket."""
    rest = text.splitlines()[line][column:] if line < len(text.splitlines()) else ""
    end = _TOKEN_END.search(rest)
    return rest[: end.start()] if end else rest


def _value_start(text: str, line: int, column: int) -> int:
    """Column where the plain value holding (line, column) starts: back over `*name`."""
    row = text.splitlines()[line] if line < len(text.splitlines()) else ""
    start = column
    while start > 0 and not _TOKEN_END.match(row[start - 1]):
        start -= 1
    return start


def _unclosed(text: str) -> tuple[int, int, str] | None:
    """(line, column, bracket) of the last [ or { never closed, outside quotes and comments."""
    stack: list[tuple[int, int, str]] = []
    for number, row in enumerate(text.splitlines()):
        quote = ""
        for column, char in enumerate(row):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"" and (column == 0 or row[column - 1] in " \t[{,:"):
                quote = char
            elif char == "#" and (column == 0 or row[column - 1] in " \t"):
                break
            elif char in "[{":
                stack.append((number, column, char))
            elif char in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def yaml_problem(exc: yaml.YAMLError, text: str, *, quote: bool = True) -> str:
    """PyYAML's error as the rest of one line: where, what YAML saw, and the fix.

    `quote`: the offending value may be shown (never for a secrets file)."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return "is not valid YAML; fix: check indentation and quoting"
    where = f"line {mark.line + 1} column {mark.column + 1}"
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    opened = getattr(exc, "context_mark", None)
    start = _value_start(text, mark.line, mark.column)
    row = text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else ""
    first = row[start : start + 1]
    if "alias" in context or "undefined alias" in problem or first in _INDICATORS:
        at = opened if "alias" in context and opened is not None else mark
        begin = _value_start(text, at.line, at.column) if at is mark else at.column
        value = _token(text, at.line, begin)
        what = _INDICATORS.get(value[:1], _INDICATORS["*"])
        shown_value = f" `{value}`" if quote and value else ""
        example = f": '{value}'" if quote and value else ""
        return (
            f"line {at.line + 1} column {begin + 1}: the value{shown_value} starts with "
            f"{value[:1] or '*'}, which YAML reads as {what}; fix: put it in quotes{example}"
        )
    if "cannot start any token" in problem and first in _RESERVED:
        value = _token(text, mark.line, start)
        shown_value = f" `{value}`" if quote else ""
        example = f": '{value}'" if quote else ""
        return (
            f"{where}: the value{shown_value} starts with {first}, which YAML reserves; fix: "
            f"put it in quotes{example}"
        )
    if "'\\t'" in problem or "\t" in problem:
        return f"{where}: a tab; YAML indents with spaces only; fix: replace the tab with spaces"
    if "mapping values are not allowed" in problem:
        return (
            f"{where}: a `: ` where no key can start (a value that holds `: ` must be quoted, "
            "or this line is indented deeper than its siblings); fix: quote the value or align "
            "the key with the ones above it"
        )
    if "end of stream" in problem or "<stream end>" in problem:
        if opened is not None and "quoted scalar" in context:
            return (
                f"line {opened.line + 1} column {opened.column + 1}: the quote opened here is "
                "never closed; fix: close it"
            )
        bracket = {"flow sequence": "[", "flow mapping": "{"}.get(context.rpartition("a ")[2])
        if opened is not None and bracket:
            return (
                f"line {opened.line + 1} column {opened.column + 1}: the {bracket} opened here is "
                f"never closed; fix: close it with {']' if bracket == '[' else '}'}"
            )
        found = _unclosed(text)
        if found is not None:
            line, column, bracket = found
            return (
                f"line {line + 1} column {column + 1}: the {bracket} opened here is never "
                f"closed; fix: close it with {']' if bracket == '[' else '}'}"
            )
        return f"{where}: the file ends inside an unclosed [ or {{; fix: close it"
    if opened is not None and "flow" in context:
        return (
            f"{where}: {problem}, inside the [ ] or {{ }} opened at line {opened.line + 1} "
            f"column {opened.column + 1}; fix: separate its items with commas and close it"
        )
    said = f"{problem} ({context})" if context else problem
    return f"{where} is not valid YAML: {said}; fix: check indentation and quoting there"


def parse(text: str, path: Path) -> Config:
    return validate(load_yaml(text, path), path)


def validate(data: Any, path: Path) -> Config:
    """Data read from `path` as a Config, or one ConfigError line."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: must be a YAML mapping with region, backend and domains; fix: see README"
        )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(path, exc)) from None


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The file's text, or one ConfigError line: missing, not a file, too big, not UTF-8."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; fix: create it (the README's sesame.yaml is a start) or "
            "pass --config PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}); fix: check the path") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(
            f"{path}: is a directory; fix: pass the YAML file, e.g. {path}/sesame.yaml"
        )
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: is not a regular file; fix: pass sesame.yaml's path")
    try:
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read ({exc.strerror}); fix: check its permissions"
        ) from None
    if len(raw) > limit:
        raise ConfigError(
            f"{path}: is larger than the {limit:,} bytes sesame reads; fix: check "
            "that it is the right file (sesame.yaml and secrets.yaml are a few KB)"
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw:
        raise ConfigError(f"{path}: is UTF-16 or binary, not UTF-8 text; fix: save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: is not UTF-8 text (byte {exc.start}); fix: save it as UTF-8"
        ) from None


def load(path: Path = DEFAULT_PATH) -> Config:
    text = read_text(path)
    try:
        return parse(text, path)
    except RecursionError:  # the YAML parser and pydantic recurse per nesting level
        raise ConfigError(
            f"{path}: is nested too deeply to be a configuration; fix: sesame.yaml needs at "
            "most a few levels (see the README)"
        ) from None
