"""DNS as receivers see it: public resolvers in production, the sandbox's server in the sandbox."""

from __future__ import annotations

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from sesame.dns.spf_eval import Lookup, TempError
from sesame.target import Target


def resolver_for(target: Target) -> dns.resolver.Resolver:
    if target.dns_nameserver is None:
        resolver = dns.resolver.Resolver()
    else:
        host, port = target.dns_nameserver
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port)]
    resolver.lifetime = 5.0
    return resolver


def _text(rdata: object) -> str:
    kind = dns.rdatatype.to_text(rdata.rdtype)  # type: ignore[attr-defined]
    if kind == "TXT":
        return b"".join(rdata.strings).decode(errors="replace")  # type: ignore[attr-defined]
    if kind == "MX":
        exchange = rdata.exchange.to_text(omit_final_dot=True)  # type: ignore[attr-defined]
        return f"{rdata.preference} {exchange}"  # type: ignore[attr-defined]
    if kind in ("CNAME", "PTR", "NS"):
        return rdata.target.to_text(omit_final_dot=True)  # type: ignore[attr-defined]
    return rdata.to_text()  # type: ignore[attr-defined]


def lookup_for(resolver: dns.resolver.Resolver) -> Lookup:
    """(name, type) -> values as text; [] for NXDOMAIN or no data; TempError otherwise."""

    def lookup(name: str, rdtype: str) -> list[str]:
        try:
            answer = resolver.resolve(name, rdtype, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout, dns.name.LabelTooLong) as exc:
            raise TempError(f"{name} {rdtype}: {type(exc).__name__}") from None
        wanted = dns.rdatatype.from_text(rdtype)
        return [_text(r) for r in (answer.rrset or []) if r.rdtype == wanted]

    return lookup
