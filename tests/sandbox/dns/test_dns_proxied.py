"""Proxied (orange-cloud) records are served as Cloudflare serves them: edge addresses only."""

from __future__ import annotations

import dns.rcode
import dns.rdatatype

from sesame.sandbox.dns.edge import EDGE_IPV4, EDGE_IPV6

ACCOUNT = "0123456789abcdef0123456789abcdef"
TOKEN = "abcdefghijklmnopqrstuvwxyz234567"


def _texts(response, rdtype: str) -> list[str]:
    wanted = dns.rdatatype.from_text(rdtype)
    return sorted(r.to_text() for rrset in response.answer if rrset.rdtype == wanted for r in rrset)


def test_proxied_dkim_cname_answers_edge_addresses_and_never_the_cname(add_record, ask):
    name = f"{TOKEN}._domainkey.example.com"
    add_record("CNAME", name, f"{TOKEN}.dkim.amazonses.com", proxied=True)
    cname = ask(name, "CNAME")
    assert cname.rcode() == dns.rcode.NOERROR and not cname.answer  # NODATA, as Cloudflare
    assert _texts(ask(name, "A"), "A") == sorted(EDGE_IPV4)
    assert _texts(ask(name, "AAAA"), "AAAA") == sorted(EDGE_IPV6)
    assert not ask(name, "TXT").answer  # the DKIM key behind the CNAME is unreachable


def test_turning_the_proxy_off_serves_the_cname_again_at_once(backend, zone, add_record, ask):
    name = f"{TOKEN}._domainkey.example.com"
    record = add_record("CNAME", name, f"{TOKEN}.dkim.amazonses.com", proxied=True)
    assert not ask(name, "CNAME").answer
    backend.edit_dns_record(ACCOUNT, zone["id"], record["id"], {"proxied": False})
    assert _texts(ask(name, "CNAME"), "CNAME") == [f"{TOKEN}.dkim.amazonses.com."]
    assert "TXT" in [dns.rdatatype.to_text(r.rdtype) for r in ask(name, "TXT", tcp=True).answer]


def test_proxied_a_record_hides_its_origin_address(add_record, ask, server):
    add_record("A", "www", "192.0.2.99", proxied=True)
    add_record("A", "direct", "192.0.2.98")
    assert _texts(ask("www.example.com", "A"), "A") == sorted(EDGE_IPV4)
    assert server.resolve("direct.example.com", "A") == ["192.0.2.98"]
