"""A domain SES already has ("Domain already exists", seed guide 003) is adopted, not failed on."""

from __future__ import annotations

from sesame.config import Config
from sesame.sandbox import world
from sesame.target import workdir_for
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
