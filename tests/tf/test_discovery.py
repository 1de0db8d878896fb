"""A domain SES already has ("Domain already exists", seed guide 003) is adopted, not failed on."""

from __future__ import annotations

from pathlib import Path

from sesame.config import Config
from sesame.sandbox import world
from sesame.target import workdir_for
from sesame.tf import discovery
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
