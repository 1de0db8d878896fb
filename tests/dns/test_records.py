"""The records sesame gives a domain's owner (sesame.dns.records)."""

from __future__ import annotations

from sesame.config import Config
from sesame.dns import records
from testing import domain, make_config

SENDER = {"app": {"kind": "smtp", "from": ["app@shop.example.com"]}}


def _config(dmarc: dict | None) -> Config:
    extra = {} if dmarc is None else {"dmarc": dmarc}
    return Config.model_validate(make_config(domain("shop.example.com", SENDER, **extra)))


def _keys(cfg: Config, published: frozenset[str] = frozenset()) -> list[str]:
    d = cfg.domains["shop.example.com"]
    full = {k: {"name": k} for k in records.ORDER}
    return list(records.for_owner("shop.example.com", d, full, published))


def test_a_subdomain_without_dmarc_gets_no_dmarc_record() -> None:
    assert "dmarc" not in _keys(_config(None))
    assert "dmarc" not in records.before_apply(
        "shop.example.com", _config(None).domains["shop.example.com"], "eu-west-1"
    )


def test_an_organizational_domain_always_gets_its_dmarc_record() -> None:
    cfg = Config.model_validate(
        make_config(domain("example.com", {"app": {"kind": "smtp", "from": ["a@example.com"]}}))
    )
    d = cfg.domains["example.com"]
    assert records.before_apply("example.com", d, "eu-west-1")["dmarc"]["value"] == (
        "v=DMARC1; p=none"
    )


def test_a_subdomain_with_its_own_dmarc_gets_its_record() -> None:
    cfg = _config({"policy": "quarantine"})
    assert "dmarc" in _keys(cfg)
    value = records.before_apply("shop.example.com", cfg.domains["shop.example.com"], "eu-west-1")
    assert value["dmarc"]["value"] == "v=DMARC1; p=quarantine"


def test_a_dmarc_record_sesame_already_publishes_is_still_shown() -> None:
    assert "dmarc" in _keys(_config(None), frozenset({"dmarc"}))
