"""SPF evaluated as receivers evaluate it: RFC 7208 check_host() over DNS.

One evaluator serves the preflight (a merged record, before it is published) and `verify`
(the record as published), so the preflight is never looser than the check after apply.
It resolves include/redirect recursively and enforces the processing limits of §4.6.4:
10 DNS-querying terms, 2 void lookups, 10 MX and 10 PTR names.

`evaluate(..., ip=None)` is the worst case sesame decides on: no address matches any
ip4/ip6/a/mx/ptr/exists term, so every term a receiver could reach is evaluated and
counted (only `all` and an include's own verdict can end the walk early). With an `ip`
it is plain check_host(), which is what the OpenSPF RFC 7208 suite checks
(tests/test_spf_eval.py). Explanations (exp=) are parsed for syntax but never fetched:
they change no verdict.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

LOOKUP_LIMIT = 10  # RFC 7208 §4.6.4
VOID_LIMIT = 2
MX_LIMIT = 10
PTR_LIMIT = 10

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (name, type) -> values as text ([] for NXDOMAIN or no data); raises TempError
Lookup = Callable[[str, str], list[str]]


class TempError(Exception):
    """A DNS query failed (timeout, SERVFAIL): the verdict is temperror."""


class PermError(Exception):
    """The policy is broken (syntax, limits, missing include target): permerror."""


@dataclass
class Evaluation:
    result: str  # pass fail softfail neutral none permerror temperror
    reason: str = ""
    lookups: int = 0
    voids: int = 0
    # top-level DNS-querying terms with the lookups each cost (nested ones included) and
    # the deepest chain under each: what a refusal names
    costs: list[tuple[str, int, list[str]]] = field(default_factory=list)
    void_names: list[str] = field(default_factory=list)

    @property
    def over_lookups(self) -> bool:
        return self.result == "permerror" and self.reason.startswith(
            f"more than {LOOKUP_LIMIT} DNS lookups"
        )

    @property
    def over_voids(self) -> bool:
        return self.result == "permerror" and self.reason.startswith(f"more than {VOID_LIMIT} void")

    @property
    def ok(self) -> bool:
        return self.result not in ("permerror", "temperror", "none")

    def chain(self) -> str:
        """`include:a → include:b (4 lookups), mx (1 lookup)`, costliest first."""
        parts = []
        for term, cost, path in sorted(self.costs, key=lambda c: -c[1]):
            shown = " → ".join([term, *path])
            parts.append(f"{shown} ({cost} lookup{'s' if cost != 1 else ''})")
        return ", ".join(parts)


_QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_MODIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9._-]*)=(.*)$", re.S)
_MECHANISM = re.compile(r"^([+?~-]?)([A-Za-z][A-Za-z0-9._-]*)(.*)$", re.S)
_MACRO = re.compile(r"%(?:%|_|-|\{([slodiphcrtvSLODIPHCRTV])([0-9]*)(r?)([.\-+,/_=]*)\})")
_TOPLABEL = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]+$|^[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]$")
_DUAL_CIDR = re.compile(r"^(?:/(0|[1-9][0-9]?))?(?://(0|[1-9][0-9]{0,2}))?$")
_SENDER_MACROS = set("slohcrtvip")  # need the connection: unknown in the worst case


@dataclass(frozen=True)
class Term:
    text: str
    qualifier: str
    name: str  # mechanism or modifier name, lowercase
    domain: str | None = None  # domain-spec (macros unexpanded)
    cidr4: int = 32
    cidr6: int = 128
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None

    @property
    def queries(self) -> bool:
        return self.name in ("include", "a", "mx", "ptr", "exists", "redirect")


def _check_macro_string(text: str, term: str) -> None:
    rest = _MACRO.sub("", text)
    if "%" in rest or any(not 0x21 <= ord(c) <= 0x7E for c in rest):
        raise PermError(f"invalid macro or character in {term!r}")


def _check_domain_spec(spec: str, term: str) -> None:
    _check_macro_string(spec, term)
    if any(m.group(1) and m.group(1).lower() in "crt" for m in _MACRO.finditer(spec)):
        raise PermError(f"{term!r}: macros c, r and t are only allowed in exp= text")
    if not spec:
        raise PermError(f"{term!r} needs a domain")
    if _MACRO.fullmatch(spec.rsplit(".", 1)[-1] or "x") or re.search(r"%\{[^}]*\}$", spec):
        return  # ends in a macro-expand
    labels = spec.rstrip(".").split(".") if spec.endswith(".") else spec.split(".")
    if len(labels) < 2 or not _TOPLABEL.match(labels[-1]):
        raise PermError(f"{term!r}: {spec!r} is not a domain name")


def _network(kind: str, arg: str, term: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if not arg.startswith(":"):
        raise PermError(f"{term!r} needs an address")
    address, _, length = arg[1:].partition("/")
    try:
        ip = ipaddress.IPv4Address(address) if kind == "ip4" else ipaddress.IPv6Address(address)
        limit = 32 if kind == "ip4" else 128
        if length and (not length.isdigit() or (length != "0" and length[0] == "0")):
            raise ValueError
        bits = int(length) if length else limit
        if bits > limit:
            raise ValueError
        return ipaddress.ip_network(f"{ip}/{bits}", strict=False)
    except ValueError:
        raise PermError(f"{term!r} is not a valid {kind} network") from None


def parse(record: str) -> tuple[list[Term], dict[str, Term]]:
    """Mechanisms in order and modifiers by name; PermError for any syntax error anywhere."""
    mechanisms: list[Term] = []
    modifiers: dict[str, Term] = {}
    for text in record.split(" ")[1:]:
        if not text:
            continue
        m = _MODIFIER.match(text)
        if m and not re.match(r"^[A-Za-z][A-Za-z0-9._-]*[:/]", text):
            name = m.group(1).lower()
            value = m.group(2)
            if name in ("redirect", "exp"):
                if name in modifiers:
                    raise PermError(f"more than one {name}= modifier")
                _check_domain_spec(value, text)
            else:
                _check_macro_string(value, text)
            modifiers[name] = Term(text, "", name, domain=value)
            continue
        m = _MECHANISM.match(text)
        if not m:
            raise PermError(f"{text!r} is not an SPF term")
        qualifier, name, arg = m.group(1) or "+", m.group(2).lower(), m.group(3)
        if name == "all":
            if arg:
                raise PermError(f"{text!r}: all takes no argument")
            mechanisms.append(Term(text, qualifier, name))
        elif name in ("include", "exists"):
            if not arg.startswith(":"):
                raise PermError(f"{text!r} needs :domain")
            _check_domain_spec(arg[1:], text)
            if name == "include" and re.search(r"/\d+$", arg):
                raise PermError(f"{text!r}: include takes no prefix length")
            mechanisms.append(Term(text, qualifier, name, domain=arg[1:]))
        elif name in ("a", "mx", "ptr"):
            spec, cidr = arg, ""
            if name != "ptr":
                split = re.match(r"^(.*?)((?:/[0-9]+)?(?://[0-9]+)?)$", arg, re.S)
                assert split is not None
                spec, cidr = split.groups()
            domain = None
            if spec:
                if not spec.startswith(":"):
                    raise PermError(f"{text!r} is not an SPF term")
                _check_domain_spec(spec[1:], text)
                domain = spec[1:]
            c = _DUAL_CIDR.match(cidr)
            if not c or (c.group(1) and int(c.group(1)) > 32):
                raise PermError(f"{text!r}: bad prefix length")
            if c.group(2) and int(c.group(2)) > 128:
                raise PermError(f"{text!r}: bad prefix length")
            cidr4 = int(c.group(1)) if c.group(1) else 32
            cidr6 = int(c.group(2)) if c.group(2) else 128
            mechanisms.append(Term(text, qualifier, name, domain, cidr4, cidr6))
        elif name in ("ip4", "ip6"):
            mechanisms.append(Term(text, qualifier, name, network=_network(name, arg, text)))
        else:
            raise PermError(f"unknown mechanism {text!r}")
    return mechanisms, modifiers


def is_spf(text: str) -> bool:
    return text.lower() == "v=spf1" or text.lower().startswith("v=spf1 ")


def valid_name(name: str) -> bool:
    labels = name.rstrip(".").split(".")
    return (
        len(name.rstrip(".")) <= 253 and len(labels) > 1 and all(0 < len(x) <= 63 for x in labels)
    )


@dataclass
class _Walk:
    lookup: Lookup
    ip: Address | None
    sender: str
    helo: str
    lookup_limit: int = LOOKUP_LIMIT
    void_limit: int = VOID_LIMIT
    lookups: int = 0
    voids: int = 0
    void_names: list[str] = field(default_factory=list)

    # -- DNS, with the limits ---------------------------------------------------------

    def count(self, term: str) -> None:
        self.lookups += 1
        if self.lookups > self.lookup_limit:
            raise PermError(f"more than {LOOKUP_LIMIT} DNS lookups (at {term})")

    def query(self, name: str, rdtype: str, *, void_counts: bool = True) -> list[str]:
        if not valid_name(name):
            return []  # cannot be queried: no match (RFC 7208 §4.3, 4.8)
        values = self.lookup(name.rstrip("."), rdtype)
        if not values and void_counts:
            self.voids += 1
            self.void_names.append(name.rstrip("."))
            if self.voids > self.void_limit:
                raise PermError(f"more than {VOID_LIMIT} void DNS lookups (at {name})")
        return values

    def addresses(self, name: str, *, void_counts: bool = True) -> list[Address]:
        rdtype = "AAAA" if isinstance(self.ip, ipaddress.IPv6Address) else "A"
        out = []
        for value in self.query(name, rdtype, void_counts=void_counts):
            try:
                out.append(ipaddress.ip_address(value))
            except ValueError:
                continue
        return out

    # -- macros (RFC 7208 §7) --------------------------------------------------------

    def expand(self, spec: str, domain: str, *, explain: bool = False) -> str | None:
        """The target name; None when it depends on the connection and there is none."""
        if self.ip is None and any(
            m.group(1) and m.group(1).lower() in _SENDER_MACROS for m in _MACRO.finditer(spec)
        ):
            return None
        local, _, sender_domain = self.sender.rpartition("@")

        def value(letter: str) -> str:
            ip = self.ip
            return {
                "s": self.sender,
                "l": local or "postmaster",
                "o": sender_domain,
                "d": domain,
                "i": (
                    ".".join(ip.exploded.replace(":", ""))
                    if isinstance(ip, ipaddress.IPv6Address)
                    else str(ip)
                ),
                "p": "unknown",
                "v": "ip6" if isinstance(ip, ipaddress.IPv6Address) else "in-addr",
                "h": self.helo,
                "c": str(ip),
                "r": "unknown",
                "t": "0",
            }[letter]

        def replace(m: re.Match[str]) -> str:
            whole = m.group(0)
            if whole == "%%":
                return "%"
            if whole == "%_":
                return " "
            if whole == "%-":
                return "%20"
            letter, digits, reverse, delims = m.groups()
            text = value(letter.lower())
            parts = re.split("[" + re.escape(delims or ".") + "]", text)
            if reverse:
                parts.reverse()
            if digits:
                if int(digits) == 0:
                    raise PermError(f"macro {whole!r} keeps 0 labels")
                parts = parts[-int(digits) :]
            out = ".".join(parts)
            return urllib.parse.quote(out, safe="") if letter.isupper() else out

        expanded = _MACRO.sub(replace, spec)
        if not explain and len(expanded) > 253:
            while len(expanded) > 253 and "." in expanded:
                expanded = expanded.split(".", 1)[1]
        return expanded

    # -- check_host() ------------------------------------------------------------------

    def record(self, domain: str) -> str | None:
        if not valid_name(domain):
            return None
        found = [t for t in self.lookup(domain.rstrip("."), "TXT") if is_spf(t)]
        if len(found) > 1:
            raise PermError(f"{domain} has {len(found)} SPF records (one is allowed)")
        return found[0] if found else None

    def check_host(
        self, domain: str, record: str | None = None, costs: list | None = None
    ) -> tuple[str, list[str]]:
        """(result, deepest chain of querying terms below this record)."""
        if record is None:
            record = self.record(domain)
            if record is None:
                return "none", []
        mechanisms, modifiers = parse(record)
        deepest: list[str] = []
        for term in mechanisms:
            before = self.lookups
            matched, path = self.mechanism(term, domain)
            if costs is not None and term.queries:
                costs.append((term.text, self.lookups - before, path))
            if len(path) + 1 > len(deepest) and term.queries:
                deepest = [term.text, *path]
            if matched:
                return _QUALIFIERS[term.qualifier], deepest
        redirect = modifiers.get("redirect")
        if redirect is None:
            return "neutral", deepest
        before = self.lookups
        self.count(redirect.text)
        target = self.expand(redirect.domain or "", domain)
        path: list[str] = []
        try:
            if target is None:
                return "neutral", deepest
            if not valid_name(target):
                raise PermError(f"{redirect.text!r}: {target!r} has no SPF record")
            sub: list[str] = []
            result, sub = self.check_host(target)
            path = sub
            if result == "none":
                raise PermError(f"{redirect.text!r}: {target} has no SPF record")
            return result, [redirect.text, *path]
        finally:
            if costs is not None:
                costs.append((redirect.text, self.lookups - before, path))

    def mechanism(self, term: Term, domain: str) -> tuple[bool, list[str]]:
        if term.name == "all":
            return True, []
        if term.name in ("ip4", "ip6"):
            assert term.network is not None
            return self.ip is not None and self.ip in term.network, []
        self.count(term.text)
        target = self.expand(term.domain, domain) if term.domain else domain
        if target is None:  # depends on the connection: counted, not queried
            return False, []
        if term.name == "include":
            result, path = self.check_host(target)
            if result == "none":
                raise PermError(f"{term.text!r}: {target} has no SPF record")
            return result == "pass", path
        if term.name == "exists":
            return bool(self.query(target, "A")), []
        if term.name == "a":
            return self._in(self.addresses(target), term), []
        if term.name == "mx":
            exchanges = self.query(target, "MX")
            if len(exchanges) > MX_LIMIT:
                raise PermError(f"{term.text!r}: {target} has more than {MX_LIMIT} MX records")
            found: list[Address] = []
            for mx in exchanges:
                found += self.addresses(mx.split()[-1], void_counts=False)
            return self._in(found, term), []
        return self._ptr(target), []  # ptr

    def _in(self, addresses: list[Address], term: Term) -> bool:
        if self.ip is None:
            return False
        bits = term.cidr6 if isinstance(self.ip, ipaddress.IPv6Address) else term.cidr4
        net = ipaddress.ip_network(f"{self.ip}/{bits}", strict=False)
        return any(a.version == self.ip.version and a in net for a in addresses)

    def _ptr(self, target: str) -> bool:
        if self.ip is None:
            return False
        names = self.query(self.ip.reverse_pointer, "PTR")[:PTR_LIMIT]
        target = target.rstrip(".").lower()
        for name in names:
            name = name.rstrip(".").lower()
            if self.ip in self.addresses(name, void_counts=False) and (
                name == target or name.endswith("." + target)
            ):
                return True
        return False


def evaluate(
    domain: str,
    lookup: Lookup,
    *,
    record: str | None = None,
    ip: Address | None = None,
    sender: str | None = None,
    helo: str | None = None,
    limits: bool = True,
) -> Evaluation:
    """check_host() for `domain` (its published record, or `record` as if published).

    `limits=False` keeps counting past the limits (to say how far over a record is)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # RFC 7208 §5: an IPv4-mapped IPv6 client is an IPv4 client
    walk = _Walk(lookup, ip, sender or f"postmaster@{domain}", helo or domain)
    if not limits:
        walk.lookup_limit = walk.void_limit = 10_000
    costs: list[tuple[str, int, list[str]]] = []
    try:
        result, _ = walk.check_host(domain, record, costs)
        reason = "no SPF record" if result == "none" else ""
    except PermError as exc:
        result, reason = "permerror", str(exc)
    except TempError as exc:
        result, reason = "temperror", str(exc) or "a DNS query failed"
    return Evaluation(result, reason, walk.lookups, walk.voids, costs, walk.void_names)
