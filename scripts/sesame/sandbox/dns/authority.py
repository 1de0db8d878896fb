"""What the sandbox name server answers: DNS rules over the Cloudflare emulator, no sockets.

This is the models.py half of the DNS server (moto's shape): `Authority.respond()` turns a
parsed query into a response message, `Authority.lookup()` gives the sections for one
name and type, and server.py only moves bytes.

Rules, chosen to match what Cloudflare's own name servers send for a zone they host:

* Every zone in the backend, whichever account owns it, is served authoritatively (AA),
  from the records as they are at query time: nothing is cached, so a record created or
  deleted through the API shows (or stops showing) on the next query. A name is served by
  the longest zone it falls in.
* A proxied (orange-cloud) A, AAAA or CNAME is never served as stored: its name answers
  A and AAAA with Cloudflare's edge addresses (edge.py) and nothing else for those
  records, so a proxied CNAME is no CNAME at all, as on Cloudflare's name servers.
* Records become rdata as Cloudflare serves them: TTL 1 ("automatic") is 300; CNAME, NS,
  PTR and MX targets are made absolute; MX gets its priority; TXT content becomes one
  character-string per stored quoted string, or the unquoted value cut at 255 bytes
  (`txt_strings`). Records of one name and type form one RRset with the lowest TTL.
* The apex always has a synthesised SOA (`ns1.sandbox.invalid.`, serial bumped whenever
  the zone's records change) and, unless NS records are stored there, the NS pair
  `ns1/ns2.sandbox.invalid.`. NS records below the apex are served as plain data (no
  referrals).
* A name with a CNAME answers every type but CNAME and ANY with the CNAME, then the
  target's answer when the target is in a served zone or in `external` (chains up to
  `MAX_CHAIN` long, loops stopped); the rcode is that of the last name (RFC 6604).
* A name with no records but with records below it (`_domainkey.example.com` when
  `s1._domainkey.example.com` exists) exists (NODATA, RFC 8020), and `*.<name>` records
  answer for names that do not exist below `<name>` (RFC 4592). A name that does not
  exist is NXDOMAIN, a name without the type NODATA, both with the zone's SOA as
  authority.
* Names in `external` (see external.py) are answered authoritatively, without SOA.
* `_dmarc.<name>` where a DMARC policy discovery walk goes on from a served zone (RFC 9989
  §4.10): a public suffix (`_dmarc.com`, `_dmarc.co.uk`) or a parent of a served zone
  (`_dmarc.example.net` above the zone `t1.example.net`) does not exist (NXDOMAIN, not
  authoritative): no suffix publishes a PSD policy (RFC 9091), as public DNS answers for
  nearly all, and a parent the sandbox does not serve publishes no DMARC record.
  Anything else is REFUSED, as an authoritative-only server does.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset
from publicsuffixlist import PublicSuffixList

from ..cloudflare.models import CloudflareBackend, DnsRecord, Zone, txt_strings
from .edge import EDGE_IPV4, EDGE_IPV6

AUTOMATIC_TTL = 300
NAME_SERVERS = ("ns1.sandbox.invalid.", "ns2.sandbox.invalid.")
SOA_RNAME = "hostmaster.sandbox.invalid."
SOA_TIMERS = "10000 2400 604800 300"  # refresh retry expire minimum (negative TTL)
MAX_CHAIN = 8
HOST_TYPES = ("CNAME", "NS", "PTR")
IN = dns.rdataclass.IN
CNAME = dns.rdatatype.CNAME
ANY = dns.rdatatype.ANY

# rdtype -> the RRset of that type at one owner name
Node = dict[dns.rdatatype.RdataType, dns.rrset.RRset]


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)  # the list bundled with the library


@dataclass
class Lookup:
    """The outcome of one name and type: rcode, sections and whether we are authoritative."""

    rcode: dns.rcode.Rcode = dns.rcode.NOERROR
    answer: list[dns.rrset.RRset] = field(default_factory=list)
    authority: list[dns.rrset.RRset] = field(default_factory=list)
    authoritative: bool = True


@dataclass
class _Step:
    """One name's result inside a source; `target` is set when a CNAME is to be chased."""

    rcode: dns.rcode.Rcode
    answer: list[dns.rrset.RRset]
    authority: list[dns.rrset.RRset]
    target: dns.name.Name | None = None


def ttl_of(record: DnsRecord) -> int:
    return AUTOMATIC_TTL if record.ttl == 1 else int(record.ttl)


def _absolute(host: str) -> str:
    return host if host.endswith(".") else host + "."


def txt_rdata(strings: Iterable[str]) -> dns.rdtypes.ANY.TXT.TXT:
    return dns.rdtypes.ANY.TXT.TXT(IN, dns.rdatatype.TXT, [s.encode() for s in strings])


def record_rdata(kind: str, content: str, priority: float | None = None) -> dns.rdata.Rdata:
    """The rdata a stored record is served as; raises dns.exception.DNSException if bad."""
    if kind == "TXT":
        return txt_rdata(txt_strings(content))
    text = content
    if kind in HOST_TYPES:
        text = _absolute(content)
    elif kind == "MX":
        text = f"{int(priority or 0)} {_absolute(content)}"
    return dns.rdata.from_text(IN, dns.rdatatype.from_text(kind), text)


def _edge() -> list[dns.rdata.Rdata]:
    """What Cloudflare answers for a proxied record's name: its own edge addresses."""
    return [dns.rdata.from_text(IN, "A", a) for a in EDGE_IPV4] + [
        dns.rdata.from_text(IN, "AAAA", a) for a in EDGE_IPV6
    ]


def _with_owner(rrset: dns.rrset.RRset, owner: dns.name.Name) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(owner, rrset.ttl, list(rrset))


def _build_nodes(
    entries: Iterable[tuple[dns.name.Name, dns.rdata.Rdata, int]],
) -> dict[dns.name.Name, Node]:
    nodes: dict[dns.name.Name, Node] = {}
    for owner, rdata, ttl in entries:
        node = nodes.setdefault(owner, {})
        rrset = node.get(rdata.rdtype)
        if rrset is None:
            node[rdata.rdtype] = dns.rrset.from_rdata_list(owner, ttl, [rdata])
        else:
            rrset.add(rdata, ttl)  # RRset.add keeps the lowest TTL
    return nodes


class _Names:
    """Owner names with their nodes, and the DNS rules that only depend on them."""

    def __init__(self, nodes: dict[dns.name.Name, Node]) -> None:
        self.nodes = nodes

    def exists(self, name: dns.name.Name) -> bool:
        """Has records, or is an empty non-terminal above a name that has some."""
        return name in self.nodes or any(
            owner.is_subdomain(name) and owner != name for owner in self.nodes
        )

    def find(self, qname: dns.name.Name, origin: dns.name.Name) -> tuple[Node | None, bool]:
        """(node, exists) for qname: its own node, a wildcard's, or (None, exists)."""
        node = self.nodes.get(qname)
        if node is not None:
            return node, True
        if self.exists(qname):
            return None, True
        encloser = qname.parent()
        while encloser != origin and not self.exists(encloser):
            encloser = encloser.parent()
        wildcard = self.nodes.get(dns.name.Name((b"*", *encloser.labels)))
        if wildcard is None:
            return None, False
        return {rdtype: _with_owner(rrset, qname) for rdtype, rrset in wildcard.items()}, True


def _answer_node(
    node: Node, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, negative: list
) -> _Step:
    if rdtype == ANY:
        return _Step(dns.rcode.NOERROR, list(node.values()), [])
    if rdtype in node:
        return _Step(dns.rcode.NOERROR, [node[rdtype]], [])
    cname = node.get(CNAME)
    if cname is not None:
        return _Step(dns.rcode.NOERROR, [cname], [], target=cname[0].target)
    return _Step(dns.rcode.NOERROR, [], negative)


class _ZoneView:
    """A snapshot of one served zone, taken for one query."""

    def __init__(self, zone: Zone, records: Sequence[DnsRecord], serial: int) -> None:
        self.origin = dns.name.from_text(zone.name)
        entries = []
        for record in records:
            owner = dns.name.from_text(record.name)
            if record.proxied:
                entries.extend((owner, rdata, AUTOMATIC_TTL) for rdata in _edge())
                continue
            try:
                rdata = record_rdata(record.type, record.content, record.priority)
            except (dns.exception.DNSException, ValueError):
                continue  # nothing the API accepts lands here; never fail a whole zone
            entries.append((owner, rdata, ttl_of(record)))
        soa_text = f"{NAME_SERVERS[0]} {SOA_RNAME} {serial} {SOA_TIMERS}"
        entries.append((self.origin, dns.rdata.from_text(IN, "SOA", soa_text), AUTOMATIC_TTL))
        if not any(
            owner == self.origin and r.rdtype == dns.rdatatype.NS for owner, r, _ in entries
        ):
            entries.extend(
                (self.origin, dns.rdata.from_text(IN, "NS", ns), AUTOMATIC_TTL)
                for ns in NAME_SERVERS
            )
        self.names = _Names(_build_nodes(entries))
        self.soa = self.names.nodes[self.origin][dns.rdatatype.SOA]

    def step(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> _Step:
        node, exists = self.names.find(qname, self.origin)
        if node is None:
            rcode = dns.rcode.NOERROR if exists else dns.rcode.NXDOMAIN
            return _Step(rcode, [], [self.soa])
        if qname == self.origin and rdtype in (dns.rdatatype.SOA, dns.rdatatype.NS):
            return _Step(dns.rcode.NOERROR, [node[rdtype]], [])  # the apex is never aliased
        return _answer_node(node, qname, rdtype, [self.soa])


class _External:
    """The stand-ins for public names: exact keys, then `*`-per-label patterns in order."""

    def __init__(self, external: Mapping[str, Sequence[tuple[str, str]]]) -> None:
        self.exact: dict[dns.name.Name, Node] = {}
        self.patterns: list[tuple[dns.name.Name, Node]] = []
        for key, values in external.items():
            owner = dns.name.from_text(key.strip().lower().rstrip("."))
            entries = []
            for kind, text in values:
                kind = kind.upper()
                rdata = (
                    txt_rdata(txt_strings(text))
                    if kind == "TXT"
                    else dns.rdata.from_text(IN, dns.rdatatype.from_text(kind), text)
                )
                entries.append((owner, rdata, AUTOMATIC_TTL))
            node = _build_nodes(entries).get(owner, {})
            if b"*" in owner.labels:
                self.patterns.append((owner, node))
            else:
                self.exact[owner] = node

    @staticmethod
    def _matches(pattern: dns.name.Name, name: dns.name.Name) -> bool:
        return len(pattern.labels) == len(name.labels) and all(
            p == b"*" or p.lower() == n.lower()
            for p, n in zip(pattern.labels, name.labels, strict=True)
        )

    def node(self, qname: dns.name.Name) -> Node | None:
        node = self.exact.get(qname)
        if node is not None:
            return node
        for pattern, pattern_node in self.patterns:
            if self._matches(pattern, qname):
                return {rdtype: _with_owner(r, qname) for rdtype, r in pattern_node.items()}
        return None

    def step(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> _Step:
        node = self.node(qname)
        assert node is not None
        return _answer_node(node, qname, rdtype, [])


class Authority:
    """Answers queries from a CloudflareBackend's live records plus the external stand-ins."""

    def __init__(
        self,
        cloudflare: CloudflareBackend,
        external: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    ) -> None:
        self.cloudflare = cloudflare
        self.external = _External(external or {})
        self._serials: dict[str, tuple[str, int]] = {}
        self._serial_lock = threading.Lock()

    # ---- zones -----------------------------------------------------------------------

    def _walked_dmarc(self, qname: dns.name.Name) -> bool:
        """`_dmarc.<public suffix or parent of a served zone>` (the module's rules)."""
        labels = qname.to_text(omit_final_dot=True).lower().split(".")
        if len(labels) < 2 or labels[0] != "_dmarc":
            return False
        parent = ".".join(labels[1:])
        if _suffixes().is_public(parent):
            return True
        served = (z.name for zs in self.cloudflare.state.values() for z in zs.values())
        return any(name.endswith(f".{parent}") for name in served)

    def _zone_for(self, qname: dns.name.Name) -> Zone | None:
        """The longest served zone qname is in (any account)."""
        name = qname
        while len(name.labels) > 1:  # stop at the root
            zone = self.cloudflare.zone_by_name(name.to_text(omit_final_dot=True))
            if zone is not None:
                return zone
            name = name.parent()
        return None

    def serial(self, zone: Zone, records: Sequence[DnsRecord]) -> int:
        """The zone's SOA serial: starts at the clock, goes up by one or more on any change."""
        digest = hashlib.sha256()
        for record in sorted(records, key=lambda r: r.id):
            fields = (
                record.id,
                record.name,
                record.type,
                record.content,
                record.ttl,
                record.proxied,
            )
            digest.update(repr((*fields, record.priority)).encode())
        fingerprint = digest.hexdigest()
        with self._serial_lock:
            known = self._serials.get(zone.id)
            if known is not None and known[0] == fingerprint:
                return known[1]
            serial = int(time.time()) & 0xFFFFFFFF
            if known is not None:
                serial = max(serial, known[1] + 1) & 0xFFFFFFFF
            self._serials[zone.id] = (fingerprint, serial)
            return serial

    def _view(self, zone: Zone, cache: dict[str, _ZoneView]) -> _ZoneView:
        view = cache.get(zone.id)
        if view is None:
            records = self.cloudflare.records(zone.id)
            view = cache[zone.id] = _ZoneView(zone, records, self.serial(zone, records))
        return view

    def _source(
        self, qname: dns.name.Name, cache: dict[str, _ZoneView]
    ) -> _ZoneView | _External | None:
        zone = self._zone_for(qname)
        if zone is not None:
            return self._view(zone, cache)
        if self.external.node(qname) is not None:
            return self.external
        return None

    # ---- lookups ---------------------------------------------------------------------

    def lookup(self, qname: dns.name.Name | str, rdtype: dns.rdatatype.RdataType | str) -> Lookup:
        """Answer and authority sections for one question, chasing CNAMEs we can answer."""
        if isinstance(qname, str):
            qname = dns.name.from_text(qname)
        rdtype = dns.rdatatype.RdataType.make(rdtype)
        with self.cloudflare.lock:  # one consistent snapshot (API requests hold this lock)
            return self._chase(qname, rdtype)

    def _chase(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Lookup:
        cache: dict[str, _ZoneView] = {}
        result = Lookup()
        seen: set[dns.name.Name] = set()
        name = qname
        for _ in range(MAX_CHAIN):
            source = self._source(name, cache)
            if source is None:
                if name == qname and self._walked_dmarc(qname):
                    return Lookup(dns.rcode.NXDOMAIN, authoritative=False)
                if name == qname:
                    return Lookup(dns.rcode.REFUSED, authoritative=False)
                break  # the alias leaves what we serve: the client goes on from the CNAME
            step = source.step(name, rdtype)
            result.answer.extend(step.answer)
            result.rcode = step.rcode
            result.authority = step.authority
            seen.add(name)
            if step.target is None or step.target in seen:
                break
            name = step.target
        return result

    def respond(self, query: dns.message.Message) -> dns.message.Message:
        """The full response message to a parsed query."""
        response = dns.message.make_response(query)
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
        elif query.edns > 0:
            response.set_rcode(dns.rcode.BADVERS)
        elif len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
        else:
            question = query.question[0]
            transfer = question.rdtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR)
            if question.rdclass not in (IN, dns.rdataclass.ANY) or transfer:
                response.set_rcode(dns.rcode.REFUSED)
            else:
                result = self.lookup(question.name, question.rdtype)
                response.set_rcode(result.rcode)
                response.answer = list(result.answer)
                response.authority = list(result.authority)
                if result.authoritative:
                    response.flags |= dns.flags.AA
        return response

    def resolve(self, name: str, rdtype: str = "A") -> list[str]:
        """The values a stub resolver would get for name/type, as text; [] for no answer.

        CNAMEs are followed (unless CNAME is asked for). A/AAAA give the address,
        CNAME/NS/PTR the target without trailing dot, MX `"<priority> <host>"`, TXT the
        character-strings joined (what SPF/DKIM/DMARC parsers read), other types the
        rdata's zone-file text.
        """
        wanted = dns.rdatatype.RdataType.make(rdtype)
        result = self.lookup(name, wanted)
        if result.rcode != dns.rcode.NOERROR:
            return []
        values: list[str] = []
        for rrset in result.answer:
            if rrset.rdtype == wanted or wanted == ANY:
                values.extend(rdata_text(rdata) for rdata in rrset)
        return values


def rdata_text(rdata: dns.rdata.Rdata) -> str:
    if rdata.rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode(errors="replace")
    if rdata.rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR):
        return rdata.target.to_text(omit_final_dot=True)
    if rdata.rdtype == dns.rdatatype.MX:
        return f"{rdata.preference} {rdata.exchange.to_text(omit_final_dot=True)}"
    return rdata.to_text()
