"""sesame.yaml: the one file a platform engineer edits and an auditor reads.

Parsed with pydantic; every problem becomes one ConfigError line naming the file, the
key and the fix, before any command touches Terraform.
"""

from __future__ import annotations

import codecs
import re
import stat
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sesame import exports
from sesame.errors import ConfigError
from sesame.regions import SES_REGIONS

DEFAULT_PATH = Path("sesame.yaml")

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})+$")
# Local part: RFC 5321 dot-atom characters, plus the IAM wildcards `*` and `?`.
ADDRESS_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?P<domain>[a-z0-9.-]+)$")
SENDER_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,56}$")
ROLE_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")
SUBDOMAIN_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
R2_ACCOUNT_RE = re.compile(r"^[0-9a-f]{32}$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
MAILTO_RE = re.compile(r"^mailto:[^@\s,;!]+@[a-z0-9.-]+\.[a-z]{2,}(![0-9]+[kmgt]?)?$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Backend(Strict):
    """Where Terraform state lives: a Cloudflare R2 bucket, through the S3 backend."""

    account_id: str = Field(description="Cloudflare account ID that owns the R2 bucket")
    bucket: str
    key: str = "sesame/terraform.tfstate"

    @field_validator("account_id")
    @classmethod
    def _account(cls, v: str) -> str:
        if not R2_ACCOUNT_RE.match(v):
            raise ValueError(
                f"'{v}' is not a Cloudflare account ID; fix: use the 32 lowercase hex "
                "characters shown on the R2 overview page"
            )
        return v

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if not BUCKET_RE.match(v):
            raise ValueError(
                f"'{v}' is not a valid R2 bucket name; fix: 3-63 lowercase letters, digits, hyphens"
            )
        return v

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not v or v.startswith("/") or len(v) > 1024 or not v.endswith(".tfstate"):
            raise ValueError(
                f"'{v}' is not a state key; fix: a relative path ending in .tfstate, "
                "e.g. sesame/terraform.tfstate"
            )
        return v


class Dmarc(Strict):
    """The _dmarc TXT record (RFC 7489)."""

    policy: Literal["none", "quarantine", "reject"] = "none"
    subdomain_policy: Literal["none", "quarantine", "reject"] | None = None
    pct: Annotated[int, Field(ge=0, le=100)] = 100
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
            if not MAILTO_RE.match(uri):
                raise ValueError(
                    f"'{uri}' is not a DMARC report URI; "
                    "fix: write it as mailto:reports@example.com"
                )
        return v


PARAMETER_PATH_RE = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Export(Strict):
    """How the sender's app reads its credentials: names (a preset, explicit, or both) and
    where sesame delivers them after apply (docs/credentials.md)."""

    preset: Literal["rails-smtp", "aws-sdk", "aws-default"] | None = None
    # The app's variable name -> sesame's field (SMTP_USERNAME, AWS_SECRET_ACCESS_KEY, ...).
    names: dict[str, str] = {}
    # SSM Parameter Store path: one SecureString per name under it (previous key: /previous/).
    parameter_store: str | None = None

    @field_validator("parameter_store")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        if v is not None and not PARAMETER_PATH_RE.match(v):
            raise ValueError(
                f"'{v}' is not a Parameter Store path; fix: start with / and use letters, "
                "digits and _.- between slashes, e.g. /apps/web/ses"
            )
        return v

    @field_validator("names")
    @classmethod
    def _names(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if not ENV_NAME_RE.match(name):
                raise ValueError(
                    f"'{name}' is not a variable name; fix: letters, digits and _, e.g. SMTP_USER"
                )
        return v


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
        for address in v:
            if not ADDRESS_RE.match(address):
                raise ValueError(
                    f"'{address}' is not an email address; fix: write local@domain "
                    "(wildcards * and ? allowed in the local part)"
                )
        return v

    @model_validator(mode="after")
    def _role(self) -> Sender:
        if self.kind == "role" and not self.role:
            raise ValueError("a `role` sender needs `role: <IAM role name>`; fix: add it")
        if self.kind != "role" and self.role is not None:
            raise ValueError(f"`role` is only for kind role, not {self.kind}; fix: remove it")
        if self.role is not None and not ROLE_RE.match(self.role):
            raise ValueError(f"'{self.role}' is not an IAM role name; fix: use the role's name")
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
    zone_id: str | None = None

    @field_validator("zone_id")
    @classmethod
    def _zone_id(cls, v: str | None) -> str | None:
        if v is not None and not R2_ACCOUNT_RE.match(v):
            raise ValueError(
                f"'{v}' is not a Cloudflare zone ID; fix: use the 32 hex characters from the "
                "zone's overview page, or remove zone_id to look the zone up by name"
            )
        return v

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, v: str) -> str:
        if not SUBDOMAIN_RE.match(v):
            raise ValueError(
                f"'{v}' is not a subdomain label; fix: use lowercase letters, digits, hyphens, "
                "e.g. mail"
            )
        return v

    @field_validator("senders")
    @classmethod
    def _sender_names(cls, v: dict[str, Sender]) -> dict[str, Sender]:
        for name in v:
            if not SENDER_RE.match(name):
                raise ValueError(
                    f"'{name}' is not a valid sender name; fix: 1-56 characters of letters, "
                    "digits and +=,.@_- (it becomes the IAM user name)"
                )
        return v


class Alarms(Strict):
    """CloudWatch alarms on the SES reputation metrics (AWS suspends at 10 % / 0.5 %)."""

    bounce_rate: Annotated[float, Field(gt=0, lt=1)] = 0.05
    complaint_rate: Annotated[float, Field(gt=0, lt=1)] = 0.001
    emails: list[str] = []

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for address in v:
            if not ADDRESS_RE.match(address) or "*" in address or "?" in address:
                raise ValueError(f"'{address}' is not an email address; fix: write local@domain")
        return v


class Config(Strict):
    """The whole sesame.yaml."""

    region: str
    backend: Backend
    tags: dict[str, str] = {}
    alarms: Alarms = Alarms()
    domains: dict[str, Domain] = Field(min_length=1)

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v not in SES_REGIONS:
            raise ValueError(
                f"'{v}' is not a region where SES v2 runs; fix: pick one of "
                + ", ".join(sorted(SES_REGIONS))
            )
        return v

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: dict[str, Domain]) -> dict[str, Domain]:
        for name in v:
            if not DOMAIN_RE.match(name):
                raise ValueError(
                    f"'{name}' is not a domain name; fix: a lowercase fully qualified name "
                    "like example.com (no trailing dot, no scheme)"
                )
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        seen: dict[str, str] = {}
        for domain, d in self.domains.items():
            if d.zone is not None and domain != d.zone and not domain.endswith("." + d.zone):
                raise ValueError(
                    f"domains.{domain}.zone: '{d.zone}' does not contain {domain}; fix: name "
                    f"the Cloudflare zone {domain} is in (e.g. {domain.split('.', 1)[-1]})"
                )
            for name, sender in d.senders.items():
                if name in seen:
                    raise ValueError(
                        f"domains.{domain}.senders.{name}: the name is also used under "
                        f"{seen[name]}; fix: rename one (sender names become IAM user names "
                        "and must be unique)"
                    )
                seen[name] = domain
                for address in sender.from_:
                    at = address.rsplit("@", 1)[1]
                    if at != domain:
                        raise ValueError(
                            f"domains.{domain}.senders.{name}.from: '{address}' is outside "
                            f"{domain}; fix: use an address ending in @{domain}"
                        )
        return self

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
            out += ("." if out else "") + str(part)
    return out


def _one_line(path: Path, err: ValidationError) -> str:
    e = err.errors(include_url=False)[0]
    loc = _loc(e["loc"])
    kind = e["type"]
    msg = str(e["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        key = loc.rsplit(".", 1)[-1]
        return f"{path}: {loc}: unknown key '{key}'; fix: remove it or check its spelling"
    if kind == "missing":
        return f"{path}: {loc}: required key is missing; fix: add it"
    if kind == "literal_error":
        return f"{path}: {loc}: {e['input']!r} is not allowed; fix: {msg.lower()}"
    if not loc:  # whole-file checks name their own key
        return f"{path}: {msg}"
    if "fix:" in msg:
        return f"{path}: {loc}: {msg}"
    return f"{path}: {loc}: {msg}; fix: correct the value"


def parse(text: str, path: Path) -> Config:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(
            f"{path}:{where} is not valid YAML; fix: check indentation and quoting"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: must be a YAML mapping with region, backend and domains; fix: see README"
        )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(path, exc)) from None


# sesame.yaml is a few KiB even with hundreds of domains; anything past this is not one.
MAX_BYTES = 1024 * 1024


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
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
            f"{path}: is over {limit // 1024} KiB, too big for a configuration; "
            "fix: pass sesame.yaml"
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
