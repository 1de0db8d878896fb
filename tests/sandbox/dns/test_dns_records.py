"""Stored Cloudflare records as they come out of DNS: types, TTLs, TXT strings, the apex."""

from __future__ import annotations

import dns.flags
import dns.rcode
import dns.rdatatype

ACCOUNT = "0123456789abcdef0123456789abcdef"


def test_a_and_aaaa_records_are_served_with_their_ttl(add_record, resolver):
    add_record("A", "www", "192.0.2.10", ttl=120)
    add_record("A", "www", "192.0.2.11", ttl=120)
    add_record("AAAA", "www", "2001:db8::10", ttl=3600)
    a = resolver.resolve("www.example.com", "A")
    assert sorted(r.address for r in a) == ["192.0.2.10", "192.0.2.11"]
    assert a.rrset.ttl == 120
    aaaa = resolver.resolve("www.example.com", "AAAA")
    assert [r.address for r in aaaa] == ["2001:db8::10"]
    assert aaaa.rrset.ttl == 3600


def test_automatic_ttl_is_served_as_300(add_record, resolver):
    add_record("A", "auto", "192.0.2.1", ttl=1)
    assert resolver.resolve("auto.example.com", "A").rrset.ttl == 300


def test_answers_are_authoritative(add_record, ask):
    add_record("A", "www", "192.0.2.10")
    response = ask("www.example.com", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA


def test_mx_record_carries_its_priority_and_an_absolute_host(add_record, resolver):
    add_record("MX", "mail", "feedback-smtp.eu-west-1.amazonses.com", priority=10)
    [mx] = resolver.resolve("mail.example.com", "MX")
    assert mx.preference == 10
    assert mx.exchange.to_text() == "feedback-smtp.eu-west-1.amazonses.com."


def test_quoted_txt_content_is_one_character_string(add_record, resolver):
    add_record("TXT", "@", '"v=spf1 include:amazonses.com ~all"')
    [txt] = resolver.resolve("example.com", "TXT")
    assert txt.strings == (b"v=spf1 include:amazonses.com ~all",)


def test_several_quoted_strings_are_served_as_several_character_strings(add_record, resolver):
    add_record("TXT", "multi", '"first part " "second part"')
    [txt] = resolver.resolve("multi.example.com", "TXT")
    assert txt.strings == (b"first part ", b"second part")


def test_unquoted_txt_over_255_bytes_is_split_and_joins_back(add_record, resolver):
    value = "v=DKIM1; k=rsa; p=" + "A" * 380
    add_record("TXT", "s1._domainkey", value)
    [txt] = resolver.resolve("s1._domainkey.example.com", "TXT")
    assert [len(s) for s in txt.strings] == [255, len(value) - 255]
    assert b"".join(txt.strings).decode() == value


def test_several_txt_records_at_one_name_form_one_rrset(add_record, resolver):
    add_record("TXT", "@", '"v=spf1 -all"')
    add_record("TXT", "@", '"google-site-verification=abc"')
    answer = resolver.resolve("example.com", "TXT")
    assert sorted(b"".join(r.strings) for r in answer) == [
        b"google-site-verification=abc",
        b"v=spf1 -all",
    ]


def test_apex_has_synthesised_soa_and_ns(zone, resolver):
    [soa] = resolver.resolve("example.com", "SOA")
    assert soa.mname.to_text() == "ns1.sandbox.invalid."
    ns = resolver.resolve("example.com", "NS")
    assert sorted(r.target.to_text() for r in ns) == [
        "ns1.sandbox.invalid.",
        "ns2.sandbox.invalid.",
    ]


def test_stored_apex_ns_records_replace_the_synthesised_pair(add_record, resolver):
    add_record("NS", "@", "ada.ns.cloudflare.com")
    ns = resolver.resolve("example.com", "NS")
    assert [r.target.to_text() for r in ns] == ["ada.ns.cloudflare.com."]


def test_soa_serial_changes_when_records_change(add_record, backend, zone, resolver):
    first = resolver.resolve("example.com", "SOA")[0].serial
    assert resolver.resolve("example.com", "SOA")[0].serial == first
    record = add_record("A", "www", "192.0.2.10")
    second = resolver.resolve("example.com", "SOA")[0].serial
    assert second > first
    backend.delete_dns_record(ACCOUNT, zone["id"], record["id"])
    assert resolver.resolve("example.com", "SOA")[0].serial > second


def test_query_names_are_case_insensitive(add_record, resolver):
    add_record("A", "www", "192.0.2.10")
    answer = resolver.resolve("WWW.Example.COM", "A")
    assert [r.address for r in answer] == ["192.0.2.10"]


def test_any_query_returns_every_rrset_at_the_name(add_record, ask):
    add_record("A", "both", "192.0.2.10")
    add_record("TXT", "both", '"hello"')
    response = ask("both.example.com", "ANY", tcp=True)
    assert {rrset.rdtype for rrset in response.answer} == {
        dns.rdatatype.A,
        dns.rdatatype.TXT,
    }
