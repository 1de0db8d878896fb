"""Zones: lookup by name, get by id, pagination and account isolation."""

from __future__ import annotations

import re

ACCOUNT = "0123456789abcdef0123456789abcdef"
OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210"


def test_list_zones_by_name_returns_exactly_the_seeded_zone(client, zone):
    zones = list(client.zones.list(name="example.com"))

    assert [z.id for z in zones] == [zone["id"]]
    assert re.fullmatch(r"[0-9a-f]{32}", zones[0].id)
    assert zones[0].account.id == ACCOUNT


def test_list_zones_name_filter_is_exact(client, backend, zone):
    backend.create_zone(ACCOUNT, "mail.example.com")
    backend.create_zone(ACCOUNT, "example.com.au")

    assert [z.name for z in client.zones.list(name="example.com")] == ["example.com"]
    assert list(client.zones.list(name="nothing.example")) == []


def test_get_zone_returns_every_field_the_sdk_requires(client, zone):
    got = client.zones.get(zone_id=zone["id"])

    assert got.name == "example.com"
    assert got.status == "active"
    assert got.type == "full"
    assert got.paused is False
    assert got.development_mode == 0
    assert got.name_servers and got.plan.id and got.owner.type == "user"
    assert got.created_on is not None and got.modified_on is not None


def test_zone_list_pages_until_empty_and_caps_per_page_at_50(client, backend):
    for index in range(45):
        backend.create_zone(ACCOUNT, f"zone{index:02d}.example")

    names = [z.name for z in client.zones.list()]
    first = client.zones.list(per_page=100)

    assert len(names) == len(set(names)) == 45
    assert first.result_info.per_page == 50
    assert len(client.zones.list(page=3).result) == 5  # 20 per page by default
    assert client.zones.list(page=4).result == []


def test_zones_of_another_account_are_invisible(client, backend, zone):
    backend.create_zone(OTHER_ACCOUNT, "other.example")

    assert [z.name for z in client.zones.list()] == ["example.com"]
    assert [z.name for z in backend.zones(OTHER_ACCOUNT)] == ["other.example"]


def test_account_id_filter_limits_the_list(client, zone):
    assert len(list(client.zones.list(account={"id": ACCOUNT}))) == 1
    assert list(client.zones.list(account={"id": OTHER_ACCOUNT})) == []
