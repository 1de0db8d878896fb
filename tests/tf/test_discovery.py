"""A domain SES already has ("Domain already exists", seed guide 003) is adopted, not failed on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sesame import dkim
from sesame.config import Config
from sesame.dns import zones
from sesame.sandbox import world
from sesame.target import workdir_for
from sesame.tf import discovery, state
from testing import Sesame, domain, make_config

CONFIG = make_config(
    domain("legacy.example", {"old-app": {"kind": "smtp", "from": ["x@legacy.example"]}})
)


def test_existing_identity_is_imported_and_upgraded_to_2048_bit(sesame: Sesame) -> None:
    cfg = Config.model_validate(CONFIG)
    sesame.write(CONFIG)
    # Someone made the identity by hand, with a 1024-bit key, before sesame.
    with world.Sandbox(workdir_for(sesame.top, "sandbox"), cfg) as sb:
        ses = sb.client("sesv2", region=cfg.region)  # by hand, with the root key
        ses.create_email_identity(
            EmailIdentity="legacy.example",
            DkimSigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
        )
        tokens = ses.get_email_identity(EmailIdentity="legacy.example")["DkimAttributes"]["Tokens"]

    plan = sesame.ok("plan")
    assert "2 to import" in plan.stdout  # the identity, and the zone owner's SPF record
    sesame.ok("apply")
    assert sesame("plan", "--detailed-exitcode").returncode == 0

    with world.Sandbox(workdir_for(sesame.top, "sandbox"), cfg) as sb:
        identity = sb.ses.get_identity(world.ACCOUNT_ID, cfg.region, "legacy.example")
    assert identity.next_signing_key_length == "RSA_2048_BIT"
    assert identity.configuration_set_name == "legacy-example"
    assert identity.dkim_tokens == tokens  # adopted, not deleted and re-created
    # SES signs with the 1024-bit key until it generates the next one: status says both.
    shown = json.loads(sesame.ok("status", "--json").stdout)
    [got] = [d for d in shown["domains"] if d["domain"] == "legacy.example"]
    assert (got["dkim_key_bits"], got["dkim_next_key_bits"]) == (1024, 2048)
    assert re.search(r"^legacy\.example .* 1024 \(2048 next\) ", sesame.ok("status").stdout, re.M)
    # The apply recorded the zone SES stated, so later plans need not ask SES again.
    with world.Sandbox(workdir_for(sesame.top, "sandbox"), cfg) as sb:
        s3 = sb.client("s3", region="us-east-1")
        body = s3.get_object(Bucket=cfg.backend.bucket, Key=state.dkim_record_key(cfg))["Body"]
        stated = sb.client("sesv2", region=cfg.region).get_email_identity(
            EmailIdentity="legacy.example"
        )["DkimAttributes"]["SigningHostedZone"]
    assert json.loads(body.read()) == {
        "region": cfg.region,
        "signing_hosted_zones": {"legacy.example": stated},
    }
    sesame.ok("destroy")


def test_discovery_asks_ses_about_each_existing_identity_once(tmp_path: Path) -> None:
    """DKIM tokens, the signing zone and the settings to adopt all come from one
    GetEmailIdentity per identity SES already has (counted by the emulator's call log)."""
    names = ("one.example", "two.example", "new.example")
    cfg = Config.model_validate(make_config({n: {} for n in names}))
    with world.Sandbox(workdir_for(tmp_path, "sandbox"), cfg) as sb:
        target = sb.target(tmp_path)
        ses = sb.client("sesv2")  # made by hand, with the account's root key
        for name in names[:2]:
            ses.create_email_identity(EmailIdentity=name)
        sb.calls.clear()
        found = discovery.discover(cfg, target)
        asked = [action for service, action in sb.calls.calls() if service == "ses"]
    assert sorted(found.adopt) == ["one.example", "two.example"]  # read from those answers
    assert asked.count("GetEmailIdentity") == 2, asked


def _held_in_state(
    sb: world.Sandbox, cfg: Config, tokens: dict[str, list[str]], records: dict[str, str]
) -> None:
    """A state that holds these identities and Cloudflare records (key -> record ID), as
    Terraform writes them, in the backend."""
    doc = {
        "version": 4,
        "resources": [
            {
                "module": "module.aws",
                "mode": "managed",
                "type": "aws_sesv2_email_identity",
                "name": "this",
                "instances": [
                    {
                        "index_key": name,
                        "attributes": {"dkim_signing_attributes": [{"tokens": toks}]},
                    }
                    for name, toks in tokens.items()
                ],
            },
            {
                "module": "module.cloudflare",
                "mode": "managed",
                "type": "cloudflare_dns_record",
                "name": "this",
                "instances": [
                    {"index_key": key, "attributes": {"id": rid}} for key, rid in records.items()
                ],
            },
        ],
    }
    s3 = sb.client("s3", region="us-east-1")
    s3.put_object(Bucket=cfg.backend.bucket, Key=cfg.backend.key, Body=json.dumps(doc).encode())


def test_a_plan_asks_ses_only_about_identities_whose_zone_no_apply_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Terraform's refresh already reads each identity; sesame's own read per identity per
    plan doubled SES's metered reads. What SES stated is recorded by each apply; an identity
    in state with a recorded zone is not asked again while SES lists it verified (its tokens
    come from state); one not verified is asked again, and a record of another region is
    ignored."""
    names = ("one.example", "two.example", "new.example")
    cfg = Config.model_validate(make_config({n: {} for n in names}))
    with world.Sandbox(workdir_for(tmp_path, "sandbox"), cfg) as sb:
        target = sb.target(tmp_path)
        ses = sb.client("sesv2")
        made = {}
        for name in names[:2]:
            ses.create_email_identity(EmailIdentity=name)
            made[name] = ses.get_email_identity(EmailIdentity=name)["DkimAttributes"]["Tokens"]
        # one.example's DKIM CNAMEs are published, so SES lists it verified; two.example's
        # are not (PENDING): only a verified identity's recorded zone is trusted.
        zone = sb.cloudflare.zone_by_name("one.example")
        assert zone is not None
        host = sb.ses.signing_hosted_zone(cfg.region)
        published = {}
        for i, token in enumerate(made["one.example"], 1):
            published[f"one.example/dkim{i}"] = sb.cloudflare.create_dns_record(
                zone.account_id,
                zone.id,
                {
                    "type": "CNAME",
                    "name": f"{token}._domainkey.one.example",
                    "ttl": 1,
                    "content": f"{token}.{host}",
                },
            )["id"]
        _held_in_state(sb, cfg, made, published)
        given: list[dict[str, list[str]]] = []
        real = zones.preflight

        def preflight(*args: Any, **kw: Any) -> Any:  # the real one, its tokens noted
            given.append(args[3])
            return real(*args, **kw)

        monkeypatch.setattr(zones, "preflight", preflight)
        recorded = {"one.example": "dkim.recorded.example", "two.example": "dkim.recorded.example"}
        state.record_dkim_zones(cfg, target, recorded)
        sb.calls.clear()
        found = discovery.discover(cfg, target)
        asked = [action for service, action in sb.calls.calls() if service == "ses"]
        assert asked.count("GetEmailIdentity") == 1, asked  # two.example: not verified
        assert found.signing_zones["one.example"] == "dkim.recorded.example"
        assert found.stated_zones["one.example"] == "dkim.recorded.example"
        assert (
            found.stated_zones["two.example"]
            == dkim.signing_hosted_zones(["two.example"], {}, cfg.region)["two.example"]
        )  # the sandbox states the documented zone
        assert "new.example" not in found.stated_zones  # SES has no identity yet
        # The recorded identity's DKIM CNAME names are still checked: tokens from state.
        assert given[-1]["one.example"] == made["one.example"]
        assert given[-1]["two.example"] == made["two.example"]

        s3 = sb.client("s3", region="us-east-1")
        elsewhere = "us-west-2" if cfg.region != "us-west-2" else "eu-west-1"
        other = {"region": elsewhere, "signing_hosted_zones": {"one.example": "x.example"}}
        s3.put_object(
            Bucket=cfg.backend.bucket,
            Key=state.dkim_record_key(cfg),
            Body=json.dumps(other).encode(),
        )
        sb.calls.clear()
        found = discovery.discover(cfg, target)
        asked = [action for service, action in sb.calls.calls() if service == "ses"]
        assert asked.count("GetEmailIdentity") == 2, asked
        assert found.signing_zones["one.example"] != "x.example"
