"""Record validation: the real API's rejections, as 400s with Cloudflare error codes."""

from __future__ import annotations

import cloudflare
import pytest


def _create(client, zone, **fields):
    fields.setdefault("ttl", 300)
    return client.dns.records.create(zone_id=zone["id"], **fields)


def _code(client, zone, **fields) -> int:
    with pytest.raises(cloudflare.BadRequestError) as caught:
        _create(client, zone, **fields)
    assert caught.value.response.headers["x-should-retry"] == "false"
    return caught.value.body["errors"][0]["code"]


def test_second_cname_at_a_name_is_rejected_with_81053(client, backend, zone):
    _create(client, zone, name="x._domainkey", type="CNAME", content="a.dkim.amazonses.com")

    code = _code(client, zone, name="x._domainkey", type="CNAME", content="b.dkim.amazonses.com")

    assert code == 81053
    assert len(backend.records(zone["id"])) == 1


def test_cname_beside_a_txt_is_rejected(client, backend, zone):
    _create(client, zone, name="mail", type="TXT", content='"v=spf1 ~all"')

    assert _code(client, zone, name="mail", type="CNAME", content="x.example.net") == 81053
    assert [r.type for r in backend.records(zone["id"])] == ["TXT"]


def test_txt_beside_an_existing_cname_is_rejected_with_81054(client, zone):
    _create(client, zone, name="www", type="CNAME", content="x.example.net")

    assert _code(client, zone, name="www", type="TXT", content='"x"') == 81054
    assert _code(client, zone, name="www", type="A", content="192.0.2.1") == 81054


def test_identical_record_is_rejected_with_81058(client, zone):
    _create(client, zone, name="mail", type="TXT", content='"v=spf1 ~all"')

    assert _code(client, zone, name="mail", type="TXT", content='"v=spf1 ~all"') == 81058


def test_same_name_records_of_compatible_types_coexist(client, backend, zone):
    _create(client, zone, name="mail", type="TXT", content='"v=spf1 ~all"')
    _create(client, zone, name="mail", type="MX", content="mx.example.net", priority=10)
    _create(client, zone, name="mail", type="TXT", content='"other"')

    assert len(backend.records(zone["id"])) == 3


@pytest.mark.parametrize("ttl", [0, 30, 59, 86401, 120.5])
def test_ttl_outside_1_or_60_to_86400_is_rejected_with_9021(client, zone, ttl):
    assert _code(client, zone, name="a", type="A", content="192.0.2.1", ttl=ttl) == 9021


@pytest.mark.parametrize("ttl", [1, 60, 86400])
def test_ttl_bounds_are_accepted(client, zone, ttl):
    assert _create(client, zone, name="a", type="A", content="192.0.2.1", ttl=ttl).ttl == ttl


@pytest.mark.parametrize("priority", [-1, 65536])
def test_mx_priority_outside_0_to_65535_is_rejected(client, zone, priority):
    code = _code(client, zone, name="m", type="MX", content="mx.example.net", priority=priority)

    assert code == 9100


def test_mx_without_priority_is_rejected(client, zone):
    assert _code(client, zone, name="m", type="MX", content="mx.example.net") == 9100


def test_absolute_name_outside_the_zone_is_rejected(client, backend, zone):
    assert _code(client, zone, name="mail.example.org.", type="A", content="192.0.2.1") == 9001
    assert backend.records(zone["id"]) == []


def test_proxied_needs_a_proxiable_type_and_ttl_1(client, zone):
    assert _code(client, zone, name="t", type="TXT", content='"x"', proxied=True, ttl=1) == 9004
    assert _code(client, zone, name="a", type="A", content="192.0.2.1", proxied=True) == 9022


@pytest.mark.parametrize(
    ("kind", "content", "code"),
    [
        ("A", "999.1.1.1", 9005),
        ("A", "2001:db8::1", 9005),
        ("AAAA", "192.0.2.1", 9006),
        ("CNAME", "not a host", 9007),
        ("MX", "bad_host!", 9007),
    ],
)
def test_content_must_match_the_record_type(client, zone, kind, content, code):
    extra = {"priority": 10} if kind == "MX" else {}

    assert _code(client, zone, name="n", type=kind, content=content, **extra) == code


def test_unsupported_type_is_rejected(client, zone):
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.post(
            f"/zones/{zone['id']}/dns_records",
            body={"name": "x", "type": "SRV", "content": "1 1 1 x", "ttl": 1},
            cast_to=object,
        )

    assert caught.value.body["errors"][0]["code"] == 9008


def test_long_txt_is_stored_verbatim_up_to_2048_characters(client, backend, zone):
    from sesame.sandbox.cloudflare.models import txt_strings

    long_value = "v=DKIM1; k=rsa; p=" + "A" * 400
    record = _create(client, zone, name="k", type="TXT", content=long_value)

    assert record.content == long_value
    assert [len(s) for s in txt_strings(backend.records(zone["id"])[0].content)] == [255, 163]
    assert txt_strings('"a" "b c"') == ["a", "b c"]
    assert _code(client, zone, name="k2", type="TXT", content="x" * 2049) == 9009


def test_update_into_a_conflict_is_rejected_and_changes_nothing(client, backend, zone):
    _create(client, zone, name="www", type="CNAME", content="x.example.net")
    txt = _create(client, zone, name="other", type="TXT", content='"x"')

    with pytest.raises(cloudflare.BadRequestError):
        client.dns.records.update(
            dns_record_id=txt.id, zone_id=zone["id"], name="www", type="TXT", content='"x"', ttl=1
        )

    assert {r.name for r in backend.records(zone["id"])} == {"www.example.com", "other.example.com"}
