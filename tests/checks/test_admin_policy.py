"""`sesame admin-policy` is narrower than ses:* and covers every call a real run makes."""

from __future__ import annotations

import json

from sesame import config as sesame_config
from sesame.checks.admin_policy import policy
from sesame.sandbox.smtp.policy import wildcard_match
from testing import Sesame, domain, example_config, make_config


def _allowed_actions(policy: dict) -> list[str]:
    return [a for st in policy["Statement"] for a in st["Action"]]


def test_policy_covers_every_call_of_apply_plan_and_destroy(applied_example: Sesame) -> None:
    sesame = applied_example  # its sandbox-calls.jsonl holds the example apply's calls
    status = json.loads(sesame.ok("status", "--json").stdout)
    sesame.ok("plan")
    sesame.ok("destroy")
    lines = (sesame.top / ".sesame/sandbox/sandbox-calls.jsonl").read_text().splitlines()
    called = {f"{s}:{a}" for s, a in map(json.loads, lines)}
    policy = json.loads(sesame.ok("admin-policy").stdout)
    actions = _allowed_actions(policy)
    missing = [
        c
        for c in sorted(called)
        if not any(wildcard_match(a, c, ignore_case=True) for a in actions)
    ]
    assert missing == []
    # Its configuration-set ARNs name the sets Terraform really made (one naming rule in two
    # languages: this keeps them equal).
    sets = next(st for st in policy["Statement"] if st["Sid"] == "SesConfigurationSets")
    made = sorted(d["configuration_set"] for d in status["domains"])
    assert sorted(r.rsplit("/", 1)[1] for r in sets["Resource"]) == made
    # Enough, and no more: every service the run used, and every creating call, was seen.
    assert {
        "ses:CreateEmailIdentity",
        "iam:CreateAccessKey",
        "sns:CreateTopic",
        "cloudwatch:PutMetricAlarm",
    } <= called


def test_policy_is_scoped_to_this_configuration(sesame: Sesame) -> None:
    sesame.write(example_config())
    policy = json.loads(sesame.ok("admin-policy", "--account-id", "111122223333").stdout)
    assert not [a for a in _allowed_actions(policy) if a.endswith(":*") or a == "*"]
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    assert by_sid["SesIdentities"]["Resource"] == [
        "arn:aws:ses:eu-west-1:111122223333:identity/example.com",
        "arn:aws:ses:eu-west-1:111122223333:identity/example.org",
    ]
    assert by_sid["SenderUsers"]["Resource"] == ["arn:aws:iam::111122223333:user/ses/*"]
    assert by_sid["SenderRoles"]["Resource"] == ["arn:aws:iam::111122223333:role/EC2-SSM-Role"]
    unscoped = [st for st in policy["Statement"] if st["Resource"] == "*"]
    assert [st["Sid"] for st in unscoped] == ["NoResourceLevel"]


def test_credential_delivery_is_allowed_only_under_the_configured_paths() -> None:
    sender = {"kind": "smtp", "from": ["a@a.example"], "export": {"parameter_store": "/apps/a"}}
    cfg = sesame_config.Config.model_validate(make_config(domain("a.example", {"s": sender})))
    by_sid = {st["Sid"]: st for st in policy(cfg, "111122223333")["Statement"]}
    assert by_sid["CredentialDelivery"]["Resource"] == [
        "arn:aws:ssm:eu-west-1:111122223333:parameter/apps/a",
        "arn:aws:ssm:eu-west-1:111122223333:parameter/apps/a/*",
    ]
    assert "ssm:PutParameter" in by_sid["CredentialDelivery"]["Action"]
    # Write-only: the plan-only key (the read half) must never read delivered credentials.
    assert not [a for a in by_sid["CredentialDelivery"]["Action"] if ":Get" in a]


def test_read_only_policy_is_the_reading_half_on_the_same_resources(sesame: Sesame) -> None:
    sesame.write(example_config())
    full = json.loads(sesame.ok("admin-policy", "--account-id", "111122223333").stdout)
    read = json.loads(
        sesame.ok("admin-policy", "--read-only", "--account-id", "111122223333").stdout
    )
    self_check = read["Statement"].pop()  # doctor --read-only's one call, on itself only
    assert self_check["Action"] == ["iam:SimulatePrincipalPolicy"]
    assert self_check["Resource"] == [
        "arn:aws:iam::111122223333:user/${aws:username}",
        "arn:aws:iam::111122223333:user/*/${aws:username}",
    ]
    actions = _allowed_actions(read)
    assert actions and all(a.split(":")[1].startswith(("Get", "List", "Describe")) for a in actions)
    assert set(actions) <= set(_allowed_actions(full))
    dropped = set(_allowed_actions(full)) - set(actions)
    assert {"ses:CreateEmailIdentity", "iam:CreateAccessKey", "iam:PutUserPolicy"} <= dropped
    assert not [a for a in dropped if a.split(":")[1].startswith(("Get", "List", "Describe"))]
    by_sid = {st["Sid"]: st for st in full["Statement"]}
    for st in read["Statement"]:  # same scope: no statement widened
        assert st["Resource"] == by_sid[st["Sid"]]["Resource"]


def test_read_only_plan_calls_only_what_the_read_only_policy_allows(
    applied_example: Sesame,
) -> None:
    sesame = applied_example
    calls = sesame.top / ".sesame/sandbox/sandbox-calls.jsonl"
    calls.write_text("")
    sesame.ok("plan", "--read-only")
    called = {f"{s}:{a}" for s, a in map(json.loads, calls.read_text().splitlines())}
    assert {"ses:GetEmailIdentity", "iam:GetUser"} <= called  # the refresh was seen
    actions = _allowed_actions(json.loads(sesame.ok("admin-policy", "--read-only").stdout))
    missing = [
        c
        for c in sorted(called)
        if not any(wildcard_match(a, c, ignore_case=True) for a in actions)
    ]
    assert missing == []
    sesame.ok("destroy")
