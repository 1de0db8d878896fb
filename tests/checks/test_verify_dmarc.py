"""verify's DMARC check against a real DNS server (the sandbox's, over loopback): what a
receiver's discovery finds, and each failure named by what can be done about it."""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest

from sesame.checks.verify import dmarc_check
from sesame.sandbox.cloudflare.models import CloudflareBackend
from sesame.sandbox.dns import DnsServer

ACCOUNT = "0123456789abcdef0123456789abcdef"
SERVICE = "example.com._dmarc.reports.example.net"


@pytest.fixture
def resolver() -> Iterator[dns.resolver.Resolver]:
    backend = CloudflareBackend()
    tenant = backend.create_zone(ACCOUNT, "t1.example.net")  # its organization: not served
    body = {"type": "TXT", "name": "@", "content": '"v=spf1 -all"', "ttl": 1, "proxied": False}
    backend.create_dns_record(ACCOUNT, tenant["id"], body)
    zone = backend.create_zone(ACCOUNT, "example.com")
    for kind, name, content in (
        ("TXT", "_dmarc", '"v=DMARC1; p=reject; sp=quarantine"'),
        ("CNAME", "_dmarc.delegated", SERVICE),
        ("TXT", "shop", '"v=spf1 include:amazonses.com ~all"'),
    ):
        body = {"type": kind, "name": name, "content": content, "ttl": 1, "proxied": False}
        backend.create_dns_record(ACCOUNT, zone["id"], body)
    with DnsServer(backend) as server:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [server.host]
        res.port = server.port
        res.timeout = res.lifetime = 2.0
        yield res


def test_a_subdomain_without_its_own_record_inherits_its_organizations(resolver) -> None:
    check = dmarc_check("shop.example.com", None, resolver)
    assert check.ok, check.line()
    assert check.detail == "p=quarantine inherited from _dmarc.example.com (sp/p)"


def test_a_subdomain_whose_organization_has_no_policy_says_how_to_get_one(resolver) -> None:
    check = dmarc_check("t1.example.net", None, resolver)
    assert not check.ok, check.line()
    assert check.detail == (
        "no DMARC policy applies to t1.example.net: it has no `dmarc:` (so sesame publishes "
        "none for it) and neither it nor example.net publishes one"
    )
    assert check.fix is not None and check.fix.startswith("add `dmarc:` to t1.example.net")


def test_a_delegated_record_the_service_does_not_publish_names_the_service(resolver) -> None:
    check = dmarc_check("delegated.example.com", "none", resolver)
    assert not check.ok, check.line()
    assert check.detail.startswith(f"_dmarc.delegated.example.com is a CNAME to {SERVICE}")
    assert check.cause == "delegated DMARC record missing"
    assert check.fix is not None and f"publish its record at {SERVICE}" in check.fix


def test_a_dns_server_that_refuses_is_a_dns_failure_not_a_dmarc_record(resolver) -> None:
    check = dmarc_check("example.org", "none", resolver)  # a zone nobody serves here
    assert not check.ok
    assert check.cause == "DNS lookup failed"
    assert "REFUSED" in check.detail and "make apply" not in (check.fix or "")
