"""`sesame drift`: console edits found by a refresh-only plan (and SES's untracked DKIM
switch), reported in the review report's terms, with plan --detailed-exitcode's codes."""

from __future__ import annotations

import json

from sesame.config import Config
from sesame.sandbox import drift, world
from sesame.target import workdir_for
from testing import Sesame, domain, make_config

CONFIG = make_config(
    domain("a.example", {"a-smtp": {"kind": "smtp", "from": ["app@a.example"]}}),
)


def test_console_edits_are_reported_with_who_notices_and_reverted_by_apply(
    sesame: Sesame,
) -> None:
    sesame.write(CONFIG)
    sesame.ok("apply")
    clean = sesame("drift")
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip().endswith("sandbox: no drift")

    cfg = Config.model_validate(CONFIG)
    with world.Sandbox(workdir_for(sesame.top, "sandbox"), cfg) as sb:
        drift.edit_record(sb, "a.example", "_dmarc.a.example", "TXT", "v=DMARC1; p=none; pct=5")
        drift.widen_policy(sb, "a-smtp")
        drift.disable_dkim(sb, "a.example")

    found = sesame("drift", "--report", "drift-report")
    assert found.returncode == 2, found.stderr
    lines = [line for line in found.stdout.splitlines() if line.startswith("drift: ")]
    by_address = {line.split(": ")[1]: line for line in lines}
    assert set(by_address) == {
        'module.cloudflare.cloudflare_dns_record.this["a.example/dmarc"]',
        'module.aws.aws_iam_user_policy.this["a-smtp"]',
        "ses:a.example/dkim",
    }, found.stdout
    dmarc = by_address['module.cloudflare.cloudflare_dns_record.this["a.example/dmarc"]']
    assert "content" in dmarc and "receivers checking a.example's DKIM, SPF, DMARC" in dmarc
    assert "fix: sesame apply puts the record back" in dmarc
    policy = by_address['module.aws.aws_iam_user_policy.this["a-smtp"]']
    assert "policy changed outside sesame" in policy
    assert "sender a-smtp may send beyond its from list" in policy
    dkim = by_address["ses:a.example/dkim"]
    assert "no longer DKIM-signed" in dkim and "--signing-enabled" in dkim
    assert found.stdout.strip().endswith("sandbox: 3 resource(s) drifted")
    report = json.loads((sesame.top / "drift-report" / "report.json").read_text())
    assert len(report["drift"]) == 3
    assert "Changed outside sesame" in (sesame.top / "drift-report" / "report.md").read_text()

    # The plan-only set (what the scheduled workflow uses) sees the same drift.
    read_only = sesame("drift", "--read-only")
    assert read_only.returncode == 2, read_only.stderr
    assert [ln for ln in read_only.stdout.splitlines() if ln.startswith("drift: ")] == lines

    as_json = sesame("drift", "--json")
    assert as_json.returncode == 2
    assert len(json.loads(as_json.stdout)["drift"]) == 3

    sesame.ok("apply")  # reverts what Terraform manages; DKIM signing is left as SES has it
    after = sesame("drift")
    assert after.returncode == 2
    assert [line.split(": ")[1] for line in after.stdout.splitlines() if "drift: " in line] == [
        "ses:a.example/dkim"
    ]
