"""DNS records: CRUD through the Python SDK, the fields read back, lists and paging."""

from __future__ import annotations

import re
import time

import cloudflare
import pytest

RFC3339_MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _raw(client, zone_id: str, record_id: str) -> dict:
    """The record exactly as served (the SDK model hides absent vs null)."""
    return client.get(f"/zones/{zone_id}/dns_records/{record_id}", cast_to=object)["result"]


def _cname(client, zone, name: str, content: str, **extra):
    return client.dns.records.create(
        zone_id=zone["id"], name=name, type="CNAME", content=content, ttl=1, **extra
    )


def _change(client, zone, record, verb: str, **fields):
    """PUT (`update`) or PATCH (`edit`) a record."""
    return getattr(client.dns.records, verb)(dns_record_id=record.id, zone_id=zone["id"], **fields)


def _mail_txt(client, zone, **extra):
    """The TXT record the update tests start from."""
    return client.dns.records.create(
        zone_id=zone["id"], name="mail", type="TXT", content='"a"', ttl=300, comment="c", **extra
    )


def test_create_mx_echoes_fields_and_stores_the_record(client, backend, zone):
    created = client.dns.records.create(
        zone_id=zone["id"],
        name="mail",
        type="MX",
        content="feedback-smtp.eu-west-1.amazonses.com",
        priority=10,
        ttl=300,
        comment="managed by sesame",
        proxied=False,
    )

    assert created.name == "mail.example.com"
    assert created.priority == 10.0 and created.ttl == 300.0
    assert created.proxiable is False
    (stored,) = backend.records(zone["id"])
    assert (stored.id, stored.name, stored.type) == (created.id, "mail.example.com", "MX")
    assert stored.content == "feedback-smtp.eu-west-1.amazonses.com"


def test_record_fields_follow_the_provider_contract(client, zone):
    record = client.dns.records.create(
        zone_id=zone["id"], name="_dmarc", type="TXT", content='"v=DMARC1; p=none"', ttl=300
    )

    raw = _raw(client, zone["id"], record.id)

    assert raw["content"] == '"v=DMARC1; p=none"'
    assert raw["proxied"] is False and raw["proxiable"] is False
    assert raw["tags"] == [] and raw["meta"] == {}
    assert raw["zone_name"] == "example.com"
    assert RFC3339_MICRO.match(raw["created_on"]) and RFC3339_MICRO.match(raw["modified_on"])
    for absent in ("comment", "comment_modified_on", "tags_modified_on", "priority", "settings"):
        assert absent not in raw, absent
    assert "data" not in raw and "private_routing" not in raw


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("@", "example.com"),
        ("WWW", "www.example.com"),
        ("www.example.com.", "www.example.com"),
        ("www.example.com", "www.example.com"),
        ("xyz._domainkey", "xyz._domainkey.example.com"),
    ],
)
def test_names_are_stored_as_lowercase_fqdn(client, zone, given, stored):
    record = client.dns.records.create(
        zone_id=zone["id"], name=given, type="A", content="192.0.2.1", ttl=1
    )

    assert record.name == stored


def test_get_returns_the_created_record(client, zone):
    created = _cname(client, zone, "abc._domainkey", "abc.dkim.amazonses.com", proxied=False)

    got = client.dns.records.get(dns_record_id=created.id, zone_id=zone["id"])

    assert got.id == created.id
    assert got.content == "abc.dkim.amazonses.com"
    assert got.proxiable is True


def test_list_filters_by_exact_name_and_type(client, zone):
    for name, kind, content in [
        ("mail", "TXT", '"v=spf1 include:amazonses.com ~all"'),
        ("mail", "MX", "feedback-smtp.eu-west-1.amazonses.com"),
        ("other", "TXT", '"x"'),
    ]:
        extra = {"priority": 10} if kind == "MX" else {}
        client.dns.records.create(
            zone_id=zone["id"], name=name, type=kind, content=content, ttl=300, **extra
        )

    found = list(
        client.dns.records.list(zone_id=zone["id"], name={"exact": "mail.example.com"}, type="TXT")
    )

    assert [(r.name, r.type) for r in found] == [("mail.example.com", "TXT")]
    assert len(list(client.dns.records.list(zone_id=zone["id"], type="TXT"))) == 2


def test_list_filters_on_content_and_comment(client, zone):
    client.dns.records.create(
        zone_id=zone["id"], name="a", type="A", content="192.0.2.1", ttl=1, comment="keep"
    )
    client.dns.records.create(zone_id=zone["id"], name="b", type="A", content="192.0.2.2", ttl=1)

    by_content = client.dns.records.list(zone_id=zone["id"], content={"exact": "192.0.2.2"})
    with_comment = client.dns.records.list(zone_id=zone["id"], comment={"present": "1"})

    assert [r.name for r in by_content] == ["b.example.com"]
    assert [r.name for r in with_comment] == ["a.example.com"]


def test_list_iterates_every_page_without_duplicates(client, backend, zone):
    for index in range(120):
        client.dns.records.create(
            zone_id=zone["id"], name=f"host{index}", type="A", content="192.0.2.1", ttl=1
        )

    first_page = client.dns.records.list(zone_id=zone["id"])
    ids = [record.id for record in client.dns.records.list(zone_id=zone["id"])]

    assert len(first_page.result) == 100  # default per_page
    assert len(ids) == len(set(ids)) == 120
    assert set(ids) == {record.id for record in backend.records(zone["id"])}
    assert client.dns.records.list(zone_id=zone["id"], page=3).result == []


def test_put_replaces_the_record_and_clears_unsent_fields(client, backend, zone):
    created = _mail_txt(client, zone)

    updated = _change(
        client, zone, created, "update", name="mail.example.com", type="TXT", content='"b"', ttl=600
    )

    assert updated.content == '"b"' and updated.ttl == 600
    assert updated.comment is None and updated.comment_modified_on is None
    (stored,) = backend.records(zone["id"])
    assert (stored.content, stored.ttl, stored.comment) == ('"b"', 600, None)
    assert stored.created_on == created.created_on.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_patch_merges_into_the_stored_record(client, backend, zone):
    created = _mail_txt(client, zone)

    edited = _change(
        client, zone, created, "edit", name="mail", type="TXT", ttl=300, comment="changed"
    )

    assert edited.content == '"a"' and edited.ttl == 300
    assert edited.comment == "changed"
    assert backend.records(zone["id"])[0].comment == "changed"


def test_update_without_changes_keeps_every_timestamp(client, zone):
    created = _mail_txt(client, zone)
    before = _raw(client, zone["id"], created.id)
    time.sleep(0.002)

    _change(
        client,
        zone,
        created,
        "update",
        name="mail",
        type="TXT",
        content='"a"',
        ttl=300,
        comment="c",
        proxied=False,
    )

    after = _raw(client, zone["id"], created.id)
    for stamp in ("created_on", "modified_on", "comment_modified_on"):
        assert after[stamp] == before[stamp], stamp


def test_comment_change_moves_only_modified_and_comment_stamps(client, zone):
    created = _mail_txt(client, zone, tags=["owner:sesame"])
    before = _raw(client, zone["id"], created.id)
    time.sleep(0.002)

    client.dns.records.edit(
        dns_record_id=created.id, zone_id=zone["id"], name="mail", type="TXT", ttl=300, comment="d"
    )

    after = _raw(client, zone["id"], created.id)
    assert after["created_on"] == before["created_on"]
    assert after["tags_modified_on"] == before["tags_modified_on"]
    assert after["modified_on"] > before["modified_on"]
    assert after["comment_modified_on"] > before["comment_modified_on"]


def test_delete_replies_with_the_id_and_removes_the_record(client, backend, zone):
    created = client.dns.records.create(
        zone_id=zone["id"], name="x", type="A", content="192.0.2.1", ttl=1
    )

    deleted = client.dns.records.delete(dns_record_id=created.id, zone_id=zone["id"])

    assert deleted.id == created.id
    assert backend.records(zone["id"]) == []
    with pytest.raises(cloudflare.NotFoundError) as caught:
        client.dns.records.get(dns_record_id=created.id, zone_id=zone["id"])
    assert caught.value.body["errors"][0]["code"] == 81044


def test_unknown_zone_is_not_found_with_code_7003(client):
    with pytest.raises(cloudflare.NotFoundError) as caught:
        client.zones.get(zone_id="0" * 32)

    assert caught.value.body["errors"][0]["code"] == 7003


def test_cname_settings_are_echoed_as_stored(client, zone):
    settings = {"flatten_cname": False, "ipv4_only": False, "ipv6_only": False}
    created = _cname(client, zone, "www", "target.example.net", proxied=True, settings=settings)

    raw = _raw(client, zone["id"], created.id)

    assert raw["settings"] == {"flatten_cname": False, "ipv4_only": False, "ipv6_only": False}
    assert raw["proxied"] is True
