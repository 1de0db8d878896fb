"""SES v2 state and rules. No HTTP here (moto's models.py shape).

State is keyed `[account][region]` and made only of plain dataclasses, dicts and lists so
the whole backend pickles. Methods named after API operations take the request members
as snake_case keyword arguments and return the response dict.
"""

from __future__ import annotations

import base64
import pickle
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sesame import regions

from .exceptions import (
    AlreadyExistsException,
    BadRequestException,
    LimitExceededException,
    NotFoundException,
)

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_KEY_LENGTH = "RSA_2048_BIT"
MAX_EVENT_DESTINATIONS = 10
_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z][a-zA-Z0-9-]{0,62}$"
)
_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):ses:(?P<region>[^:]*):(?P<account>[^:]*):"
    r"(?P<kind>identity|configuration-set)/(?P<name>.+)$"
)
# Option blocks stored exactly as configured and returned only when configured.
_PLAIN_OPTIONS = (
    "DeliveryOptions",
    "SuppressionOptions",
    "TrackingOptions",
    "VdmOptions",
    "ArchivingOptions",
    "MessageSecurityOptions",
)
_DESTINATION_KINDS = (
    "KinesisFirehoseDestination",
    "CloudWatchDestination",
    "SnsDestination",
    "EventBridgeDestination",
    "PinpointDestination",
)

StatusResolver = Callable[[str, str, "EmailIdentity"], str]

# The SES mailbox simulator (SES Developer Guide, "Using the mailbox simulator").
SIMULATOR_DOMAIN = "simulator.amazonses.com"
SIMULATOR_MAILBOXES = frozenset(
    f"{box}@{SIMULATOR_DOMAIN}" for box in ("success", "bounce", "complaint", "ooto")
) | {f"suppressionlist@{SIMULATOR_DOMAIN}"}


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def identity_arn(account: str, region: str, name: str) -> str:
    return f"arn:{partition_for(region)}:ses:{region}:{account}:identity/{name}"


def configuration_set_arn(account: str, region: str, name: str) -> str:
    return f"arn:{partition_for(region)}:ses:{region}:{account}:configuration-set/{name}"


def _dkim_tokens() -> list[str]:
    return ["".join(random.choices(_TOKEN_ALPHABET, k=32)) for _ in range(3)]


def _tags_to_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for tag in tags or []:
        key = tag["Key"]
        if key.lower().startswith("aws:"):
            raise BadRequestException(f"Tag keys beginning with 'aws:' are reserved: {key}")
        result[key] = tag.get("Value", "")
    return result


Token = str | None  # NextToken
Size = int | None  # PageSize


def _tags_to_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _epoch(value: float | str | None) -> float | None:
    """A timestamp member as botocore sends it in a query string (ISO 8601) or a body."""
    if value is None or isinstance(value, int | float):
        return value
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _paged(
    key: str, items: list[Any], next_token: Token, page_size: Size, show: Callable = lambda x: x
) -> dict[str, Any]:
    """A List* response: one page of `items` (each `show`n) under `key`, NextToken if more."""
    page, token = _paginate(items, next_token, page_size)
    response: dict[str, Any] = {key: [show(item) for item in page]}
    if token:
        response["NextToken"] = token
    return response


def _paginate(items: list[Any], next_token: Token, page_size: Size) -> tuple[list, str]:
    start = 0
    if next_token:
        try:
            start = int(base64.b64decode(next_token, validate=True).decode())
        except ValueError as exc:
            raise BadRequestException("Invalid NextToken.") from exc
    size = page_size or 1000
    page = items[start : start + size]
    end = start + size
    token = base64.b64encode(str(end).encode()).decode() if end < len(items) else ""
    return page, token


@dataclass
class EmailIdentity:
    name: str
    identity_type: str  # DOMAIN | EMAIL_ADDRESS
    created: float
    tags: dict[str, str] = field(default_factory=dict)
    configuration_set_name: str | None = None
    dkim_signing_enabled: bool = True
    dkim_origin: str = "AWS_SES"
    dkim_tokens: list[str] = field(default_factory=list)
    current_signing_key_length: str | None = None
    next_signing_key_length: str | None = None
    last_key_generation: float | None = None
    mail_from_domain: str | None = None
    behavior_on_mx_failure: str = "USE_DEFAULT_VALUE"
    feedback_forwarding: bool = True
    policies: dict[str, str] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        return self.name.rpartition("@")[2]


@dataclass
class ConfigurationSet:
    name: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)
    reputation_options: dict[str, Any] = field(
        default_factory=lambda: {"ReputationMetricsEnabled": False}
    )
    sending_options: dict[str, Any] = field(default_factory=lambda: {"SendingEnabled": True})
    # DeliveryOptions, SuppressionOptions, ...: present only when configured
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    event_destinations: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class AccountSettings:
    production_access: bool
    max_24h_send: float
    max_send_rate: float
    sending_enabled: bool = True
    details: dict[str, Any] | None = None


@dataclass
class RegionState:
    account: AccountSettings
    identities: dict[str, EmailIdentity] = field(default_factory=dict)
    configuration_sets: dict[str, ConfigurationSet] = field(default_factory=dict)
    sent_messages: list[dict[str, Any]] = field(default_factory=list)
    # The account-level suppression list: address -> {EmailAddress, Reason, LastUpdateTime}
    suppressed: dict[str, dict[str, Any]] = field(default_factory=dict)


class SesV2Backend:
    """All SES v2 state of the sandbox, keyed `[account][region]`."""

    dkim_status_resolver: StatusResolver | None
    mail_from_status_resolver: StatusResolver | None

    def __init__(
        self,
        account_id: str = DEFAULT_ACCOUNT,
        production_access: bool = False,
        max_24h_send: float = 200.0,
        max_send_rate: float = 1.0,
    ) -> None:
        self.account_id = account_id
        self.production_access = production_access
        self.max_24h_send = max_24h_send
        self.max_send_rate = max_send_rate
        # (account, region, identity) -> PENDING|SUCCESS|FAILED|TEMPORARY_FAILURE|NOT_STARTED.
        # None: every identity is verified (SUCCESS) as soon as it exists.
        self.dkim_status_resolver = None
        # Same signature, for the custom MAIL FROM domain's MX check. None: SUCCESS.
        self.mail_from_status_resolver = None
        self.lock = threading.RLock()
        self.state: dict[str, dict[str, RegionState]] = {}
        # region -> the zone SES states as DkimAttributes.SigningHostedZone there; unset
        # regions use the AWS-documented one (regions.dkim_host). Tests set a region to a
        # zone sesame's fallback does not know, to prove sesame follows SES.
        self.signing_hosted_zones: dict[str, str] = {}

    # ---- lifecycle -------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.state = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["lock"]
        for hook in ("dkim_status_resolver", "mail_from_status_resolver"):
            try:
                pickle.dumps(state[hook])
            except Exception:  # lambdas, closures: re-attach after loading
                state[hook] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    def region_state(self, account: str, region: str) -> RegionState:
        regions = self.state.setdefault(account, {})
        if region not in regions:
            regions[region] = RegionState(
                account=AccountSettings(
                    production_access=self.production_access,
                    max_24h_send=self.max_24h_send,
                    max_send_rate=self.max_send_rate,
                )
            )
        return regions[region]

    # ---- plain reads for other sandbox components ------------------------------------

    def get_identity(self, account: str, region: str, name: str) -> EmailIdentity | None:
        return self.region_state(account, region).identities.get(name)

    def list_identities(self, account: str, region: str) -> list[EmailIdentity]:
        return list(self.region_state(account, region).identities.values())

    def find_configuration_set(
        self, account: str, region: str, name: str
    ) -> ConfigurationSet | None:
        return self.region_state(account, region).configuration_sets.get(name)

    def list_configuration_sets(self, account: str, region: str) -> list[ConfigurationSet]:
        return list(self.region_state(account, region).configuration_sets.values())

    def signing_hosted_zone(self, region: str) -> str:
        """Where SES publishes Easy DKIM keys for identities in `region`."""
        zones = getattr(self, "signing_hosted_zones", None) or {}  # worlds saved before it
        return zones.get(region) or regions.dkim_host(region)

    def identity_status(self, account: str, region: str, identity: EmailIdentity) -> str:
        if self.dkim_status_resolver is None:
            return "SUCCESS"
        return self.dkim_status_resolver(account, region, identity)

    def mail_from_status(self, account: str, region: str, identity: EmailIdentity) -> str:
        if not identity.mail_from_domain:
            return "FAILED"  # what SES reports when no custom MAIL FROM domain is set
        if self.mail_from_status_resolver is None:
            return "SUCCESS"
        return self.mail_from_status_resolver(account, region, identity)

    def record_sent_message(self, account: str, region: str, message: dict[str, Any]) -> None:
        """For the SMTP stand-in: remember a sent message (counts in SentLast24Hours)."""
        with self.lock:
            entry = {"Timestamp": time.time(), **message}
            self.region_state(account, region).sent_messages.append(entry)

    # ---- the account-level suppression list --------------------------------------------

    def _suppressed(self, account: str, region: str) -> dict[str, dict[str, Any]]:
        state = self.region_state(account, region)
        if not hasattr(state, "suppressed"):  # worlds saved before the list existed
            state.suppressed = {}
        return state.suppressed

    def suppress(self, account: str, region: str, address: str, reason: str) -> None:
        """Put an address on the account's suppression list (reason BOUNCE or COMPLAINT),
        as SES does after a hard bounce or a complaint when that reason is suppressed."""
        with self.lock:
            entry = {"EmailAddress": address, "Reason": reason, "LastUpdateTime": time.time()}
            self._suppressed(account, region)[address.lower()] = entry

    def list_suppressed_destinations(
        self,
        account: str,
        region: str,
        *,
        reasons: list[str] | None = None,
        start_date: float | str | None = None,
        end_date: float | str | None = None,
        next_token: Token = None,
        page_size: Size = None,
    ) -> dict[str, Any]:
        """ListSuppressedDestinations: the list's summaries, filtered by reason and by when
        each address was added, paged like every SES v2 list."""
        start, end = _epoch(start_date), _epoch(end_date)
        entries = [
            e
            for e in self._suppressed(account, region).values()
            if (not reasons or e["Reason"] in reasons)
            and (start is None or e["LastUpdateTime"] >= start)
            and (end is None or e["LastUpdateTime"] < end)
        ]
        return _paged("SuppressedDestinationSummaries", entries, next_token, page_size)

    # ---- helpers ---------------------------------------------------------------------

    def _identity(self, account: str, region: str, name: str) -> EmailIdentity:
        identity = self.get_identity(account, region, name)
        if identity is None:
            raise NotFoundException(f"Email identity {name} does not exist.")
        return identity

    def _configuration_set(self, account: str, region: str, name: str) -> ConfigurationSet:
        config_set = self.find_configuration_set(account, region, name)
        if config_set is None:
            raise NotFoundException(f"Configuration set <{name}> does not exist.")
        return config_set

    def _resource_for_arn(self, arn: str) -> EmailIdentity | ConfigurationSet:
        match = _ARN_RE.match(arn)
        if match is None:
            raise BadRequestException(f"Invalid resource ARN: {arn}")
        account, region, name = match["account"], match["region"], match["name"]
        regions = self.state.get(account, {})
        if region in regions:
            state = regions[region]
            table = state.identities if match["kind"] == "identity" else state.configuration_sets
            if name in table:
                return table[name]
        raise NotFoundException(f"Resource not found: {arn}")

    def _dkim_attributes(self, account: str, region: str, identity: EmailIdentity) -> dict:
        if identity.identity_type == "EMAIL_ADDRESS":
            return {
                "SigningEnabled": False,
                "Status": "NOT_STARTED",
                "Tokens": [],
                "SigningAttributesOrigin": identity.dkim_origin,
            }
        attributes: dict[str, Any] = {
            "SigningEnabled": identity.dkim_signing_enabled,
            "Status": self.identity_status(account, region, identity),
            "Tokens": list(identity.dkim_tokens),
            "SigningAttributesOrigin": identity.dkim_origin,
        }
        if identity.dkim_origin == "AWS_SES":
            attributes["SigningHostedZone"] = self.signing_hosted_zone(region)
        if identity.next_signing_key_length:
            attributes["NextSigningKeyLength"] = identity.next_signing_key_length
        if identity.current_signing_key_length:
            attributes["CurrentSigningKeyLength"] = identity.current_signing_key_length
        if identity.last_key_generation is not None:
            attributes["LastKeyGenerationTimestamp"] = identity.last_key_generation
        return attributes

    @staticmethod
    def _apply_signing_attributes(
        identity: EmailIdentity, origin: str, attributes: dict[str, Any] | None
    ) -> None:
        attributes = attributes or {}
        selector = attributes.get("DomainSigningSelector")
        private_key = attributes.get("DomainSigningPrivateKey")
        if origin == "EXTERNAL":
            if not selector or not private_key:
                raise BadRequestException(
                    "DomainSigningSelector and DomainSigningPrivateKey are required "
                    "when SigningAttributesOrigin is EXTERNAL."
                )
            identity.dkim_origin = "EXTERNAL"
            identity.dkim_tokens = [selector]
            identity.current_signing_key_length = None
            identity.next_signing_key_length = None
            identity.last_key_generation = time.time()
            return
        if origin != "AWS_SES":
            raise BadRequestException(f"SigningAttributesOrigin {origin} is not supported.")
        if selector or private_key:
            raise BadRequestException(
                "DomainSigningSelector and DomainSigningPrivateKey are only valid "
                "when SigningAttributesOrigin is EXTERNAL."
            )
        requested = attributes.get("NextSigningKeyLength")
        if identity.dkim_origin != "AWS_SES" or not identity.dkim_tokens:
            length = requested or DEFAULT_KEY_LENGTH
            identity.dkim_origin = "AWS_SES"
            identity.dkim_tokens = _dkim_tokens()
            identity.current_signing_key_length = length
            identity.next_signing_key_length = length
            identity.last_key_generation = time.time()
        elif requested:
            identity.next_signing_key_length = requested

    # ---- email identities ------------------------------------------------------------

    def create_email_identity(
        self,
        account: str,
        region: str,
        *,
        email_identity: str,
        tags: list[dict[str, str]] | None = None,
        dkim_signing_attributes: dict[str, Any] | None = None,
        configuration_set_name: str | None = None,
    ) -> dict[str, Any]:
        state = self.region_state(account, region)
        if email_identity in state.identities:
            raise AlreadyExistsException(f"Email identity {email_identity} already exists.")
        is_email = "@" in email_identity
        local, _, domain = email_identity.rpartition("@")
        if (is_email and not local) or not _DOMAIN_RE.match(domain):
            raise BadRequestException(f"Invalid email identity: {email_identity}")
        if configuration_set_name is not None:
            self._configuration_set(account, region, configuration_set_name)
        identity = EmailIdentity(
            name=email_identity,
            identity_type="EMAIL_ADDRESS" if is_email else "DOMAIN",
            created=time.time(),
            tags=_tags_to_dict(tags),
            configuration_set_name=configuration_set_name,
        )
        if is_email:
            identity.dkim_signing_enabled = False
        else:
            attributes = dkim_signing_attributes or {}
            external = bool(
                attributes.get("DomainSigningSelector") or attributes.get("DomainSigningPrivateKey")
            )
            origin = "EXTERNAL" if external else "AWS_SES"
            self._apply_signing_attributes(identity, origin, attributes)
        state.identities[email_identity] = identity
        status = self.identity_status(account, region, identity)
        return {
            "IdentityType": identity.identity_type,
            "VerifiedForSendingStatus": status == "SUCCESS",
            "DkimAttributes": self._dkim_attributes(account, region, identity),
        }

    def get_email_identity(self, account: str, region: str, *, email_identity: str) -> dict:
        identity = self._identity(account, region, email_identity)
        status = self.identity_status(account, region, identity)
        mail_from: dict[str, Any] = {
            "BehaviorOnMxFailure": identity.behavior_on_mx_failure,
            "MailFromDomainStatus": self.mail_from_status(account, region, identity),
        }
        if identity.mail_from_domain:
            mail_from["MailFromDomain"] = identity.mail_from_domain
        response: dict[str, Any] = {
            "IdentityType": identity.identity_type,
            "FeedbackForwardingStatus": identity.feedback_forwarding,
            "VerifiedForSendingStatus": status == "SUCCESS",
            "VerificationStatus": status,
            "DkimAttributes": self._dkim_attributes(account, region, identity),
            "MailFromAttributes": mail_from,
            "Policies": dict(identity.policies),
            "Tags": _tags_to_list(identity.tags),
        }
        if identity.configuration_set_name:
            response["ConfigurationSetName"] = identity.configuration_set_name
        return response

    def list_email_identities(
        self, account: str, region: str, *, next_token: Token = None, page_size: Size = None
    ) -> dict[str, Any]:
        def show(identity: EmailIdentity) -> dict[str, Any]:
            return {
                "IdentityType": identity.identity_type,
                "IdentityName": identity.name,
                "SendingEnabled": True,
                "VerificationStatus": self.identity_status(account, region, identity),
            }

        identities = self.list_identities(account, region)
        return _paged("EmailIdentities", identities, next_token, page_size, show)

    def delete_email_identity(self, account: str, region: str, *, email_identity: str) -> dict:
        self._identity(account, region, email_identity)
        del self.region_state(account, region).identities[email_identity]
        return {}

    def put_email_identity_configuration_set_attributes(
        self,
        account: str,
        region: str,
        *,
        email_identity: str,
        configuration_set_name: str | None = None,
    ) -> dict:
        identity = self._identity(account, region, email_identity)
        if configuration_set_name:
            self._configuration_set(account, region, configuration_set_name)
        identity.configuration_set_name = configuration_set_name or None
        return {}

    def put_email_identity_dkim_signing_attributes(
        self,
        account: str,
        region: str,
        *,
        email_identity: str,
        signing_attributes_origin: str,
        signing_attributes: dict[str, Any] | None = None,
    ) -> dict:
        identity = self._identity(account, region, email_identity)
        if identity.identity_type != "DOMAIN":
            raise BadRequestException(
                f"DKIM signing attributes can only be set on a domain identity: {email_identity}"
            )
        self._apply_signing_attributes(identity, signing_attributes_origin, signing_attributes)
        response = {
            "DkimStatus": self.identity_status(account, region, identity),
            "DkimTokens": list(identity.dkim_tokens),
        }
        if identity.dkim_origin == "AWS_SES":
            response["SigningHostedZone"] = self.signing_hosted_zone(region)
        return response

    def put_email_identity_dkim_attributes(
        self, account: str, region: str, *, email_identity: str, signing_enabled: bool = False
    ) -> dict:
        identity = self._identity(account, region, email_identity)
        if identity.identity_type != "DOMAIN" and signing_enabled:
            raise BadRequestException(
                f"DKIM signing can only be enabled on a domain identity: {email_identity}"
            )
        identity.dkim_signing_enabled = signing_enabled
        return {}

    def put_email_identity_mail_from_attributes(
        self,
        account: str,
        region: str,
        *,
        email_identity: str,
        mail_from_domain: str | None = None,
        behavior_on_mx_failure: str | None = None,
    ) -> dict:
        identity = self._identity(account, region, email_identity)
        if mail_from_domain:
            base = identity.domain.lower()
            candidate = mail_from_domain.lower().rstrip(".")
            if not candidate.endswith("." + base) or not _DOMAIN_RE.match(candidate):
                raise BadRequestException(
                    f"Invalid MAIL FROM domain: {mail_from_domain}. The MAIL FROM domain "
                    f"must be a subdomain of the verified identity {identity.domain}."
                )
        identity.mail_from_domain = mail_from_domain or None
        identity.behavior_on_mx_failure = behavior_on_mx_failure or "USE_DEFAULT_VALUE"
        return {}

    # ---- configuration sets ----------------------------------------------------------

    def create_configuration_set(
        self,
        account: str,
        region: str,
        *,
        configuration_set_name: str,
        tags: list[dict[str, str]] | None = None,
        **options: dict[str, Any] | None,
    ) -> dict:
        state = self.region_state(account, region)
        if configuration_set_name in state.configuration_sets:
            raise AlreadyExistsException(
                f"Configuration set <{configuration_set_name}> already exists."
            )
        config_set = ConfigurationSet(
            name=configuration_set_name, created=time.time(), tags=_tags_to_dict(tags)
        )
        reputation = options.pop("reputation_options", None)
        if reputation is not None:
            self._set_reputation(config_set, reputation)
        sending = options.pop("sending_options", None)
        if sending is not None:
            config_set.sending_options = {"SendingEnabled": bool(sending.get("SendingEnabled"))}
        for key in _PLAIN_OPTIONS:
            value = options.pop(_snake(key), None)
            if value is not None:
                config_set.options[key] = dict(value)
        if options:
            raise TypeError(f"unexpected options: {sorted(options)}")
        state.configuration_sets[configuration_set_name] = config_set
        return {}

    def get_configuration_set(
        self, account: str, region: str, *, configuration_set_name: str
    ) -> dict[str, Any]:
        config_set = self._configuration_set(account, region, configuration_set_name)
        response: dict[str, Any] = {
            "ConfigurationSetName": config_set.name,
            "ReputationOptions": dict(config_set.reputation_options),
            "SendingOptions": dict(config_set.sending_options),
        }
        for key in _PLAIN_OPTIONS:
            if key in config_set.options:
                response[key] = config_set.options[key]
        response["Tags"] = _tags_to_list(config_set.tags)
        return response

    def list_configuration_sets_page(
        self, account: str, region: str, *, next_token: Token = None, page_size: Size = None
    ) -> dict[str, Any]:
        """The ListConfigurationSets operation (list_configuration_sets is the plain read)."""
        names = [c.name for c in self.list_configuration_sets(account, region)]
        return _paged("ConfigurationSets", names, next_token, page_size)

    def delete_configuration_set(
        self, account: str, region: str, *, configuration_set_name: str
    ) -> dict:
        self._configuration_set(account, region, configuration_set_name)
        # Identities keep naming it as their default, as real SES does.
        del self.region_state(account, region).configuration_sets[configuration_set_name]
        return {}

    @staticmethod
    def _set_reputation(config_set: ConfigurationSet, options: dict[str, Any]) -> None:
        reputation: dict[str, Any] = {
            "ReputationMetricsEnabled": bool(options.get("ReputationMetricsEnabled"))
        }
        if options.get("LastFreshStart") is not None:
            reputation["LastFreshStart"] = options["LastFreshStart"]
        config_set.reputation_options = reputation

    def _put_plain_option(
        self, account: str, region: str, name: str, key: str, value: dict[str, Any] | None
    ) -> dict:
        config_set = self._configuration_set(account, region, name)
        value = {k: v for k, v in (value or {}).items() if v is not None}
        if value:
            config_set.options[key] = value
        else:  # `{}` removes the block
            config_set.options.pop(key, None)
        return {}

    def _put_fields(
        self, account: str, region: str, name: str, key: str, fields: dict[str, Any]
    ) -> dict:
        value = {_camel_key(k): v for k, v in fields.items()}
        return self._put_plain_option(account, region, name, key, value)

    def put_configuration_set_delivery_options(
        self, account: str, region: str, *, configuration_set_name: str, **fields: Any
    ) -> dict:
        return self._put_fields(account, region, configuration_set_name, "DeliveryOptions", fields)

    def put_configuration_set_reputation_options(
        self,
        account: str,
        region: str,
        *,
        configuration_set_name: str,
        reputation_metrics_enabled: bool = False,
    ) -> dict:
        config_set = self._configuration_set(account, region, configuration_set_name)
        previous = config_set.reputation_options.get("LastFreshStart")
        self._set_reputation(
            config_set,
            {"ReputationMetricsEnabled": reputation_metrics_enabled, "LastFreshStart": previous},
        )
        return {}

    def put_configuration_set_sending_options(
        self, account: str, region: str, *, configuration_set_name: str, **options: bool
    ) -> dict:
        """SendingEnabled is the operation's only member (false when left out)."""
        config_set = self._configuration_set(account, region, configuration_set_name)
        config_set.sending_options = {"SendingEnabled": options.pop("sending_enabled", False)}
        if options:
            raise TypeError(f"unexpected keyword argument {sorted(options)}")
        return {}

    def put_configuration_set_suppression_options(
        self, account: str, region: str, *, configuration_set_name: str, **fields: Any
    ) -> dict:
        return self._put_fields(
            account, region, configuration_set_name, "SuppressionOptions", fields
        )

    def put_configuration_set_tracking_options(
        self, account: str, region: str, *, configuration_set_name: str, **fields: Any
    ) -> dict:
        if fields.get("custom_redirect_domain") == "":
            fields = {}
        return self._put_fields(account, region, configuration_set_name, "TrackingOptions", fields)

    def put_configuration_set_vdm_options(
        self,
        account: str,
        region: str,
        *,
        configuration_set_name: str,
        vdm_options: dict[str, Any] | None = None,
    ) -> dict:
        return self._put_plain_option(
            account, region, configuration_set_name, "VdmOptions", vdm_options
        )

    # ---- event destinations ----------------------------------------------------------

    @staticmethod
    def _check_destination(definition: dict[str, Any]) -> dict[str, Any]:
        kinds = [k for k in _DESTINATION_KINDS if definition.get(k) is not None]
        if len(kinds) != 1:
            raise BadRequestException(
                "An event destination must have exactly one destination: "
                + ", ".join(_DESTINATION_KINDS)
            )
        if not definition.get("MatchingEventTypes"):
            raise BadRequestException("MatchingEventTypes must contain at least one event type.")
        return {k: v for k, v in definition.items() if v is not None}

    def create_configuration_set_event_destination(
        self, account: str, region: str, **request: Any
    ) -> dict:
        return self._put_event_destination(account, region, create=True, **request)

    def update_configuration_set_event_destination(
        self, account: str, region: str, **request: Any
    ) -> dict:
        return self._put_event_destination(account, region, create=False, **request)

    def _put_event_destination(
        self,
        account: str,
        region: str,
        *,
        create: bool,
        configuration_set_name: str,
        event_destination_name: str,
        event_destination: dict[str, Any],
    ) -> dict:
        if not create:
            config_set = self._event_destination(
                account, region, configuration_set_name, event_destination_name
            )
        else:
            config_set = self._configuration_set(account, region, configuration_set_name)
        if create and event_destination_name in config_set.event_destinations:
            raise AlreadyExistsException(
                f"Event destination {event_destination_name} already exists in "
                f"configuration set <{configuration_set_name}>."
            )
        if create and len(config_set.event_destinations) >= MAX_EVENT_DESTINATIONS:
            raise LimitExceededException(
                f"A configuration set can have at most {MAX_EVENT_DESTINATIONS} event destinations."
            )
        definition = self._check_destination(event_destination)
        config_set.event_destinations[event_destination_name] = definition
        return {}

    def get_configuration_set_event_destinations(
        self, account: str, region: str, *, configuration_set_name: str
    ) -> dict:
        config_set = self._configuration_set(account, region, configuration_set_name)
        destinations = []
        for name, definition in config_set.event_destinations.items():
            entry: dict[str, Any] = {
                "Name": name,
                "Enabled": bool(definition.get("Enabled", False)),
                "MatchingEventTypes": list(definition["MatchingEventTypes"]),
            }
            entry.update({k: definition[k] for k in _DESTINATION_KINDS if k in definition})
            destinations.append(entry)
        return {"EventDestinations": destinations}

    def _event_destination(
        self, account: str, region: str, set_name: str, name: str
    ) -> ConfigurationSet:
        config_set = self._configuration_set(account, region, set_name)
        if name not in config_set.event_destinations:
            raise NotFoundException(
                f"Event destination {name} does not exist in configuration set <{set_name}>."
            )
        return config_set

    def delete_configuration_set_event_destination(
        self,
        account: str,
        region: str,
        *,
        configuration_set_name: str,
        event_destination_name: str,
    ) -> dict:
        config_set = self._event_destination(
            account, region, configuration_set_name, event_destination_name
        )
        del config_set.event_destinations[event_destination_name]
        return {}

    # ---- tags ------------------------------------------------------------------------

    def tag_resource(
        self, account: str, region: str, *, resource_arn: str, tags: list[dict[str, str]]
    ) -> dict:
        resource = self._resource_for_arn(resource_arn)
        new_tags = _tags_to_dict(tags)
        if len({**resource.tags, **new_tags}) > 50:
            raise BadRequestException("A resource can have at most 50 tags.")
        resource.tags.update(new_tags)
        return {}

    def untag_resource(
        self, account: str, region: str, *, resource_arn: str, tag_keys: list[str]
    ) -> dict:
        resource = self._resource_for_arn(resource_arn)
        for key in tag_keys:
            resource.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, account: str, region: str, *, resource_arn: str) -> dict:
        return {"Tags": _tags_to_list(self._resource_for_arn(resource_arn).tags)}

    # ---- account ---------------------------------------------------------------------

    def get_account(self, account: str, region: str) -> dict[str, Any]:
        state = self.region_state(account, region)
        settings = state.account
        since = time.time() - 86400
        sent = sum(1 for m in state.sent_messages if m["Timestamp"] >= since)
        response: dict[str, Any] = {
            "DedicatedIpAutoWarmupEnabled": False,
            "EnforcementStatus": "HEALTHY",
            "ProductionAccessEnabled": settings.production_access,
            "SendQuota": {
                "Max24HourSend": settings.max_24h_send,
                "MaxSendRate": settings.max_send_rate,
                "SentLast24Hours": float(sent),
            },
            "SendingEnabled": settings.sending_enabled,
            "SuppressionAttributes": {"SuppressedReasons": []},
        }
        if settings.details is not None:
            response["Details"] = settings.details
        return response

    def put_account_details(
        self,
        account: str,
        region: str,
        *,
        mail_type: str,
        website_url: str,
        contact_language: str | None = None,
        use_case_description: str | None = None,
        additional_contact_email_addresses: list[str] | None = None,
        production_access_enabled: bool = False,
    ) -> dict:
        details: dict[str, Any] = {"MailType": mail_type, "WebsiteURL": website_url}
        if contact_language is not None:
            details["ContactLanguage"] = contact_language
        if use_case_description is not None:
            details["UseCaseDescription"] = use_case_description
        if additional_contact_email_addresses is not None:
            details["AdditionalContactEmailAddresses"] = list(additional_contact_email_addresses)
        if production_access_enabled:
            case_id = "".join(random.choices("0123456789", k=16))
            details["ReviewDetails"] = {"Status": "PENDING", "CaseId": case_id}
        self.region_state(account, region).account.details = details
        return {}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel_key(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
