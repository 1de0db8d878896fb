"""DMARC policy as receivers see it (RFC 7489): parsing (checkdmarc) and policy discovery.

A receiver looks for `_dmarc.<From domain>`; when there is none it uses the organizational
domain's record (the registrable domain, from the Public Suffix List), whose `sp=` (or, if
absent, `p=`) applies to subdomains (§6.6.3). sesame compares what applies before a change
with what applies after it, so a subdomain never silently gets a weaker policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dns.resolver
from checkdmarc.dmarc import DMARC_TAG_VALUE_REGEX, DMARCError, parse_dmarc_record
from checkdmarc.utils import get_base_domain

from sesame.config import Domain
from sesame.dns.spf_eval import TempError
from sesame.dns.txt import unquote

STRENGTH = {"none": 0, "quarantine": 1, "reject": 2}
TxtLookup = Callable[[str, str], list[str]]


def _offline() -> dns.resolver.Resolver:
    """A resolver with no name servers: checkdmarc's report-address checks fail at once."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = []
    return resolver


@dataclass(frozen=True)
class Policy:
    p: str
    sp: str | None = None
    pct: int = 100

    @property
    def subdomain(self) -> str:
        return self.sp or self.p

    def strength(self, *, for_subdomain: bool = False) -> tuple[int, int]:
        return STRENGTH[self.subdomain if for_subdomain else self.p], self.pct


def parse(text: str, domain: str = "example.com") -> Policy | None:
    """The policy of a DMARC record (None: not a valid DMARC record). No DNS is queried."""
    text = text.strip()
    if not text.startswith("v=DMARC1"):
        return None
    try:
        tags = parse_dmarc_record(text, domain, resolver=_offline(), timeout=0.1, retries=0)["tags"]
    except DMARCError:
        return None
    sp = tags.get("sp")
    # checkdmarc follows DMARCbis, which drops pct=; RFC 7489 receivers still honour it
    pct = 100
    for part in text.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip() == "pct" and value.strip().isdigit():
            pct = min(int(value.strip()), 100)
    return Policy(
        str(tags["p"]["value"]), str(sp["value"]) if sp and sp.get("explicit") else None, pct
    )


def organizational_domain(domain: str) -> str:
    return get_base_domain(domain)


def inherits(domain: str, configured: Domain) -> bool:
    """A subdomain with no `dmarc:` of its own: receivers apply its organizational domain's
    policy (RFC 7489 §6.6.3), so sesame publishes no _dmarc record for it: a `p=none` there
    would weaken the organization's policy. The records it is given leave _dmarc out."""
    return "dmarc" not in configured.model_fields_set and organizational_domain(domain) != domain


@dataclass(frozen=True)
class Effective:
    """The policy a receiver applies to mail from `domain`, and where it comes from."""

    policy: Policy | None
    source: str | None  # the _dmarc name it was read from
    inherited: bool  # read from the organizational domain (its sp= applies)

    @property
    def strength(self) -> tuple[int, int]:
        if self.policy is None:
            return (-1, 0)
        return self.policy.strength(for_subdomain=self.inherited)

    def describe(self) -> str:
        if self.policy is None:
            return "no DMARC policy"
        if self.inherited:
            tag = "sp" if self.policy.sp else "p"
            return f"{tag}={self.policy.subdomain} inherited from {self.source}"
        return f"p={self.policy.p} at {self.source}"


def _record(lookup: TxtLookup, name: str) -> Policy | None:
    records = [t for t in lookup(name, "TXT") if t.strip().startswith("v=DMARC1")]
    if len(records) != 1:
        return None  # none, or several: discovery ends without a policy (§6.6.3 step 2)
    return parse(records[0], name.removeprefix("_dmarc."))


def effective(domain: str, lookup: TxtLookup) -> Effective:
    """RFC 7489 §6.6.3 policy discovery for mail From `domain`."""
    name = f"_dmarc.{domain}"
    policy = _record(lookup, name)
    if policy is not None:
        return Effective(policy, name, False)
    org = organizational_domain(domain)
    if org == domain:
        return Effective(None, None, False)
    try:
        policy = _record(lookup, f"_dmarc.{org}")
    except TempError:
        # No answer for the organizational domain (its servers refuse or fail): receivers
        # then find no policy either (RFC 7489 §6.6.3), so there is none to weaken.
        return Effective(None, None, False)
    return Effective(policy, f"_dmarc.{org}" if policy else None, policy is not None)


def is_dmarc(content: str) -> bool:
    return unquote(content).startswith("v=DMARC1")


def tags(content: str) -> dict[str, str]:
    """`v=DMARC1; p=reject; pct=50` -> {"v": "DMARC1", "p": "reject", "pct": "50"}."""
    return {t.lower(): v.strip() for t, v in DMARC_TAG_VALUE_REGEX.findall(unquote(content))}


def strength(content: str | None) -> tuple[int, int] | None:
    """(policy strength, pct) to compare two records; None when `content` is not DMARC."""
    if not content or "v=DMARC1" not in content:
        return None
    found = tags(content)
    pct = found.get("pct", "")
    return STRENGTH.get(found.get("p", "none").lower(), 0), int(pct) if pct.isdigit() else 100
