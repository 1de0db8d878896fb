"""What the server answers: CNAME chasing, negative answers, REFUSED, live data, externals."""

from __future__ import annotations

import dns.flags
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from sesame.sandbox.dns import EXTERNAL_RECORDS, DnsServer

ACCOUNT = "0123456789abcdef0123456789abcdef"
OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210"


def _types(rrsets) -> list[str]:
    return [dns.rdatatype.to_text(rrset.rdtype) for rrset in rrsets]


# ---- CNAME -----------------------------------------------------------------------------


def test_cname_is_returned_with_the_chased_target_in_the_zone(add_record, ask, resolver):
    add_record("A", "origin", "192.0.2.20")
    add_record("CNAME", "alias", "origin.example.com")
    response = ask("alias.example.com", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert _types(response.answer) == ["CNAME", "A"]
    answer = resolver.resolve("alias.example.com", "A")
    assert answer.canonical_name.to_text() == "origin.example.com."
    assert [r.address for r in answer] == ["192.0.2.20"]


def test_cname_query_returns_only_the_cname(add_record, ask):
    add_record("A", "origin", "192.0.2.20")
    add_record("CNAME", "alias", "origin.example.com")
    response = ask("alias.example.com", "CNAME")
    assert _types(response.answer) == ["CNAME"]
    assert response.answer[0][0].target.to_text() == "origin.example.com."


def test_cname_to_ses_dkim_token_chases_into_the_external_key(add_record, resolver):
    add_record("CNAME", "tok123._domainkey", "tok123.dkim.amazonses.com")
    answer = resolver.resolve("tok123._domainkey.example.com", "TXT")
    assert answer.canonical_name.to_text() == "tok123.dkim.amazonses.com."
    assert b"".join(answer[0].strings).startswith(b"p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A")


def test_cname_chain_across_served_zones_is_followed(backend, add_record, ask):
    other = backend.create_zone(OTHER_ACCOUNT, "example.net")
    body = {"type": "A", "name": "host", "content": "192.0.2.30", "ttl": 1}
    backend.create_dns_record(OTHER_ACCOUNT, other["id"], body)
    add_record("CNAME", "alias", "host.example.net")
    response = ask("alias.example.com", "A")
    assert _types(response.answer) == ["CNAME", "A"]
    assert response.answer[1].name.to_text() == "host.example.net."


def test_cname_to_a_name_outside_everything_returns_the_cname_alone(add_record, ask):
    add_record("CNAME", "alias", "somewhere.example.org")
    response = ask("alias.example.com", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert _types(response.answer) == ["CNAME"]


def test_cname_to_missing_name_in_zone_is_nxdomain_with_the_cname(add_record, ask):
    add_record("CNAME", "alias", "missing.example.com")
    response = ask("alias.example.com", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert _types(response.answer) == ["CNAME"]
    assert _types(response.authority) == ["SOA"]


def test_cname_loop_is_answered_not_followed_forever(add_record, ask):
    add_record("CNAME", "a", "b.example.com")
    add_record("CNAME", "b", "a.example.com")
    response = ask("a.example.com", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert _types(response.answer) == ["CNAME", "CNAME"]


# ---- negative answers and REFUSED ------------------------------------------------------


def test_missing_name_is_nxdomain_with_zone_soa(zone, ask, resolver):
    response = ask("nothing.example.com", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.flags & dns.flags.AA
    assert not response.answer
    [soa] = response.authority
    assert soa.rdtype == dns.rdatatype.SOA and soa.name.to_text() == "example.com."
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("nothing.example.com", "A")


def test_existing_name_without_the_type_is_nodata_with_zone_soa(add_record, ask, resolver):
    add_record("A", "www", "192.0.2.10")
    response = ask("www.example.com", "TXT")
    assert response.rcode() == dns.rcode.NOERROR
    assert not response.answer
    assert _types(response.authority) == ["SOA"]
    with pytest.raises(dns.resolver.NoAnswer):
        resolver.resolve("www.example.com", "TXT")


def test_name_with_records_only_below_it_is_nodata_not_nxdomain(add_record, ask):
    add_record("TXT", "s1._domainkey", '"v=DKIM1; p=abc"')
    response = ask("_domainkey.example.com", "TXT")
    assert response.rcode() == dns.rcode.NOERROR
    assert _types(response.authority) == ["SOA"]


def test_wildcard_record_answers_for_names_that_do_not_exist(add_record, resolver, ask):
    add_record("A", "*.apps", "192.0.2.40")
    add_record("A", "real.apps", "192.0.2.41")
    answer = resolver.resolve("anything.apps.example.com", "A")
    assert answer.rrset.name.to_text() == "anything.apps.example.com."
    assert [r.address for r in answer] == ["192.0.2.40"]
    assert [r.address for r in resolver.resolve("real.apps.example.com", "A")] == ["192.0.2.41"]
    assert ask("x.real.apps.example.com", "A").rcode() == dns.rcode.NXDOMAIN


def test_names_outside_served_zones_and_externals_are_refused(zone, ask, resolver):
    response = ask("example.org", "A")
    assert response.rcode() == dns.rcode.REFUSED
    assert not response.flags & dns.flags.AA
    with pytest.raises(dns.resolver.NoNameservers):
        resolver.resolve("www.example.org", "A")


def test_zones_of_every_account_are_served(backend, resolver):
    other = backend.create_zone(OTHER_ACCOUNT, "other.test")
    body = {"type": "TXT", "name": "@", "content": '"other account"', "ttl": 1}
    backend.create_dns_record(OTHER_ACCOUNT, other["id"], body)
    [txt] = resolver.resolve("other.test", "TXT")
    assert txt.strings == (b"other account",)


def test_longest_served_zone_answers_for_a_name(backend, zone, add_record, resolver):
    add_record("A", "host.sub", "192.0.2.1")
    sub = backend.create_zone(ACCOUNT, "sub.example.com")
    body = {"type": "A", "name": "host", "content": "192.0.2.2", "ttl": 1}
    backend.create_dns_record(ACCOUNT, sub["id"], body)
    assert [r.address for r in resolver.resolve("host.sub.example.com", "A")] == ["192.0.2.2"]


# ---- live data -------------------------------------------------------------------------


def test_deleted_record_disappears_on_the_next_query(backend, zone, add_record, ask):
    record = add_record("TXT", "_dmarc", '"v=DMARC1; p=none"')
    assert ask("_dmarc.example.com", "TXT").answer
    backend.delete_dns_record(ACCOUNT, zone["id"], record["id"])
    response = ask("_dmarc.example.com", "TXT")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert not response.answer


def test_updated_record_is_served_at_once(backend, zone, add_record, resolver):
    record = add_record("TXT", "@", '"v=spf1 -all"')
    body = {"type": "TXT", "name": "@", "content": '"v=spf1 include:amazonses.com ~all"'}
    backend.update_dns_record(ACCOUNT, zone["id"], record["id"], body)
    [txt] = resolver.resolve("example.com", "TXT")
    assert txt.strings == (b"v=spf1 include:amazonses.com ~all",)


def test_zone_created_after_start_is_served_and_reset_forgets_it(backend, server, resolver):
    assert server.resolve("late.test", "SOA") == []
    backend.create_zone(ACCOUNT, "late.test")
    assert resolver.resolve("late.test", "SOA")
    backend.reset()
    with pytest.raises(dns.resolver.NoNameservers):
        resolver.resolve("late.test", "SOA")


# ---- external stand-ins ----------------------------------------------------------------


def test_amazonses_spf_is_served_from_externals(zone, resolver):
    [txt] = resolver.resolve("amazonses.com", "TXT")
    spf = b"".join(txt.strings).decode()
    assert spf.startswith("v=spf1 ip4:199.255.192.0/22 ")
    assert spf.endswith(" ip4:52.82.172.0/22 -all")


def test_google_spf_include_chain_is_served(resolver):
    [spf] = resolver.resolve("_spf.google.com", "TXT")
    includes = [m.split(":", 1)[1] for m in b"".join(spf.strings).decode().split()[1:-1]]
    assert includes == [
        "_netblocks.google.com",
        "_netblocks2.google.com",
        "_netblocks3.google.com",
    ]
    for name in includes:
        [txt] = resolver.resolve(name, "TXT")
        assert b"".join(txt.strings).startswith(b"v=spf1 ip")


def test_any_ses_dkim_token_has_a_public_key_in_every_region(resolver):
    for name in ("abc123.dkim.amazonses.com", "xyz789.dkim.eu-west-1.amazonses.com"):
        [txt] = resolver.resolve(name, "TXT")
        assert len(txt.strings) == 2  # 2048-bit key: over 255 bytes
        assert b"".join(txt.strings).startswith(b"p=MIIB")


def test_ses_endpoints_have_addresses(resolver):
    [feedback] = resolver.resolve("feedback-smtp.eu-west-1.amazonses.com", "A")
    assert feedback.address == "192.0.2.25"
    [smtp] = resolver.resolve("email-smtp.us-east-1.amazonaws.com", "A")
    assert smtp.address == "127.0.0.1"


def test_dmarc_where_a_discovery_walk_goes_on_does_not_exist(backend, ask, resolver):
    # A DMARC discovery walk (RFC 9989 §4.10) from a served zone goes up to the public
    # suffix: `_dmarc.com` is NXDOMAIN on the Internet, and a parent of a served zone that
    # the sandbox does not serve publishes none, so the walk ends as it would there.
    backend.create_zone("0123456789abcdef0123456789abcdef", "t1.example.net")
    for name in ("_dmarc.com", "_dmarc.co.uk", "_dmarc.org", "_dmarc.example.net"):
        response = ask(name, "TXT")
        assert response.rcode() == dns.rcode.NXDOMAIN, name
        assert not response.flags & dns.flags.AA
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("_dmarc.com", "TXT")
    # A name below one that is not a public suffix is still nobody's here.
    assert ask("_dmarc.example.org", "TXT").rcode() == dns.rcode.REFUSED
    assert ask("_dmarc.com.example.org", "TXT").rcode() == dns.rcode.REFUSED


def test_external_name_without_the_type_is_nodata(ask):
    response = ask("amazonses.com", "MX")
    assert response.rcode() == dns.rcode.NOERROR
    assert not response.answer


def test_names_near_externals_are_still_refused(ask):
    assert ask("dkim.amazonses.com", "TXT").rcode() == dns.rcode.REFUSED
    assert ask("www.amazonses.com", "A").rcode() == dns.rcode.REFUSED


def test_externals_can_be_replaced_or_turned_off(backend):
    custom = {"spf.example.net": [("TXT", "v=spf1 -all")]}
    with DnsServer(backend, external=custom) as server:
        assert server.resolve("spf.example.net", "TXT") == ["v=spf1 -all"]
        assert server.resolve("amazonses.com", "TXT") == []
    with DnsServer(backend, external=None) as server:
        assert server.resolve("amazonses.com", "TXT") == []
    assert "amazonses.com" in EXTERNAL_RECORDS


# ---- the Python API ----------------------------------------------------------------------


def test_resolve_gives_text_values_without_a_socket(backend, zone, add_record):
    add_record("CNAME", "tok._domainkey", "tok.dkim.amazonses.com")
    add_record("MX", "mail", "feedback-smtp.eu-west-1.amazonses.com", priority=10)
    add_record("TXT", "long", "x" * 300)
    server = DnsServer(backend)  # never started: resolve() needs no socket
    try:
        assert server.resolve("tok._domainkey.example.com", "CNAME") == ["tok.dkim.amazonses.com"]
        [key] = server.resolve("tok._domainkey.example.com", "TXT")
        assert key.startswith("p=MIIB") and len(key) == 394
        assert server.resolve("mail.example.com", "MX") == [
            "10 feedback-smtp.eu-west-1.amazonses.com"
        ]
        assert server.resolve("long.example.com", "TXT") == ["x" * 300]
        assert server.resolve("missing.example.com", "A") == []
        assert server.resolve("mail.example.com", "A") == []
        assert server.resolve("example.org", "A") == []
        assert server.nameserver == ("127.0.0.1", server.port)
    finally:
        server.stop()
