"""`sesame account request-production`: the console form as one PutAccountDetails call,
reaching the SES v2 emulator with the right fields; `status` shows the review."""

from __future__ import annotations

from sesame.config import Config
from sesame.sandbox import world
from sesame.target import workdir_for
from testing import Sesame, domain, make_config

CONFIG = make_config(domain("a.example"), region="eu-west-1")
USE_CASE = "Order confirmations and password resets to our own customers; bounces suppressed."


def test_request_production_submits_the_shown_details_and_status_shows_the_review(
    sesame: Sesame,
) -> None:
    sesame.write(CONFIG)
    (sesame.top / "use-case.txt").write_text(USE_CASE + "\n")
    out = sesame.ok(
        "account",
        "request-production",
        "--use-case",
        "use-case.txt",
        "--website",
        "https://a.example",
        "--contact",
        "ops@a.example",
    ).stdout
    assert "  MailType: TRANSACTIONAL" in out and "  WebsiteURL: https://a.example" in out
    assert "submitted; review PENDING (case " in out

    cfg = Config.model_validate(CONFIG)
    with world.Sandbox(workdir_for(sesame.top, "sandbox"), cfg) as sb:
        details = sb.ses.region_state(world.ACCOUNT_ID, "eu-west-1").account.details
    assert details["MailType"] == "TRANSACTIONAL"
    assert details["WebsiteURL"] == "https://a.example"
    assert details["ContactLanguage"] == "EN"
    assert details["UseCaseDescription"] == USE_CASE
    assert details["AdditionalContactEmailAddresses"] == ["ops@a.example"]
    assert details["ReviewDetails"]["Status"] == "PENDING"

    status = sesame.ok("status").stdout
    assert f"production access review: PENDING (case {details['ReviewDetails']['CaseId']})" in (
        status
    )


def test_a_bad_request_is_one_line_and_sends_nothing(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    (sesame.top / "empty.txt").write_text("  \n")
    for args, message in (
        (("--use-case", "missing.txt", "--website", "https://a.example"), "missing.txt: "),
        (("--use-case", "empty.txt", "--website", "https://a.example"), "must be 1-5000"),
        (("--use-case", "empty.txt", "--website", "a.example"), "must be 1-5000"),
    ):
        proc = sesame("account", "request-production", *args)
        assert proc.returncode == 3
        assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr
    (sesame.top / "ok.txt").write_text(USE_CASE)
    proc = sesame("account", "request-production", "--use-case", "ok.txt", "--website", "nope")
    assert proc.returncode == 3 and "'nope' is not a web address" in proc.stderr
    assert not (workdir_for(sesame.top, "sandbox") / "sandbox-world.age").exists()
