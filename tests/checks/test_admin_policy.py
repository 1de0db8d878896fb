"""`sesame admin-policy` is narrower than ses:* and covers every call a real run makes.

The sandbox enforces it (docs/sandbox.md): apply, plan and destroy run as an IAM user
holding exactly this policy, so these runs fail if it lacks anything they call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sesame import config as sesame_config
from sesame.checks.admin_policy import policy, read_only_policy
from sesame.sandbox.smtp.policy import wildcard_match
from sesame.sandbox.world import ACCOUNT_ID, OPERATOR_POLICY
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


def test_secrets_manager_delivery_is_allowed_only_on_the_named_secrets_and_write_only() -> None:
    export = {"secrets_manager": "apps/a"}
    sender = {"kind": "smtp", "from": ["a@a.example"], "export": export}
    cfg = sesame_config.Config.model_validate(make_config(domain("a.example", {"s": sender})))
    by_sid = {st["Sid"]: st for st in policy(cfg, "111122223333")["Statement"]}
    assert by_sid["SecretsManagerDelivery"]["Resource"] == [
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:apps/a-??????",
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:apps/a/previous-??????",
    ]
    actions = by_sid["SecretsManagerDelivery"]["Action"]
    assert "secretsmanager:PutSecretValue" in actions
    assert not [a for a in actions if ":Get" in a or ":Describe" in a or ":List" in a]


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


def test_read_only_plan_and_drift_call_only_what_the_read_only_policy_allows(
    applied_example: Sesame,
) -> None:
    sesame = applied_example
    calls = sesame.top / ".sesame/sandbox/sandbox-calls.jsonl"
    calls.write_text("")
    sesame.ok("plan", "--read-only")
    sesame.ok("drift", "--read-only")  # the scheduled drift watch's credentials
    called = {f"{s}:{a}" for s, a in map(json.loads, calls.read_text().splitlines())}
    assert {"ses:GetEmailIdentity", "iam:GetUser"} <= called  # the refresh was seen
    actions = _allowed_actions(json.loads(sesame.ok("admin-policy", "--read-only").stdout))
    missing = [
        c
        for c in sorted(called)
        if not any(wildcard_match(a, c, ignore_case=True) for a in actions)
    ]
    assert missing == []


def _operator_holds(sesame: Sesame, document: dict[str, Any]) -> dict[str, str]:
    """The environment that makes the sandbox's operator hold `document` instead."""
    path = sesame.top / "operator-policy.json"
    path.write_text(json.dumps(document))
    return {OPERATOR_POLICY: str(path)}


def _without(document: dict[str, Any], action: str) -> dict[str, Any]:
    statements = []
    for st in document["Statement"]:
        kept = [a for a in st["Action"] if a != action]
        if kept:
            statements.append({**st, "Action": kept})
    assert sum(len(st["Action"]) for st in statements) < sum(
        len(st["Action"]) for st in document["Statement"]
    ), f"{action} is not in the policy"
    return {**document, "Statement": statements}


# One writing call per service (SES: the identity and the MAIL FROM write that follows it;
# IAM: the sender's policy on its /ses/ user): one apply per action, on a small config.
ONE_ACTION_LESS = [
    "ses:CreateEmailIdentity",
    "ses:PutEmailIdentityMailFromAttributes",
    "iam:PutUserPolicy",
    "sns:CreateTopic",
    "cloudwatch:PutMetricAlarm",
]
SMALL = make_config(
    domain(
        "lp.example", {"app": {"kind": "smtp", "from": ["noreply@lp.example"]}}, mail_from="mail"
    )
)


@pytest.mark.parametrize("action", ONE_ACTION_LESS)
def test_apply_fails_naming_the_one_action_the_policy_lacks(sesame: Sesame, action: str) -> None:
    sesame.write(SMALL)
    config = sesame_config.Config.model_validate(SMALL)
    env = _operator_holds(sesame, _without(policy(config, ACCOUNT_ID), action))
    proc = sesame("apply", env=env)
    assert proc.returncode == 1, proc.stderr
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith("sesame: terraform apply failed:"), error
    assert f"is not authorized to perform: {action} on resource: " in proc.stderr
    denied = "AuthorizationError" if action.startswith("sns:") else "AccessDenied"
    assert denied in proc.stderr


def test_read_only_principal_plans_and_cannot_apply(sesame: Sesame) -> None:
    sesame.write(SMALL)
    config = sesame_config.Config.model_validate(SMALL)
    # The operator may do nothing: a read-only plan that succeeds ran as the plan-only user.
    nothing = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    planned = sesame("plan", "--read-only", env=_operator_holds(sesame, nothing))
    assert planned.returncode == 0, planned.stderr
    assert "sandbox: changes: " in planned.stdout
    # The same policy as the operator's: applying what it planned is refused at the first write.
    env = _operator_holds(sesame, read_only_policy(config, ACCOUNT_ID))
    refused = sesame("apply", env=env)
    assert refused.returncode == 1, refused.stderr
    assert "is not authorized to perform: " in refused.stderr
    assert "AccessDenied" in refused.stderr


# sesame's own calls before Terraform runs: discovery's identity listing and the preflight's
# topic listing.
OWN_CALLS = ["ses:ListEmailIdentities", "sns:ListTopics"]


@pytest.mark.parametrize("action", OWN_CALLS)
def test_sesames_own_refused_call_is_one_line_naming_it_and_the_fix(
    sesame: Sesame, action: str
) -> None:
    """Found: an AccessDenied in discovery or the preflight was exit 7 "unexpected error"."""
    sesame.write(SMALL)
    config = sesame_config.Config.model_validate(SMALL)
    env = _operator_holds(sesame, _without(policy(config, ACCOUNT_ID), action))
    proc = sesame("plan", env=env)
    assert proc.returncode == 1, proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if x.startswith("sesame:")]
    operation = action.split(":")[1]
    assert f"AWS refused {operation} (" in line, line
    assert f"not authorized to perform: {action}" in line, line
    assert line.endswith(
        "fix: give the AWS identity in secrets.yaml the policy `sesame admin-policy` prints "
        "(`--read-only` for plan-only keys; docs/iam.md)"
    ), line
    assert "Traceback" not in proc.stderr


def test_policy_keeps_a_removed_domains_grants_until_its_removal_is_applied(
    applied_example: Sesame,
) -> None:
    """`admin-policy` reads the state: a domain (and its role sender) taken out of sesame.yaml
    stays granted until the apply that destroys it, which runs as a principal holding exactly
    the printed policy; after it, the grants are gone."""
    sesame = applied_example
    config = example_config()
    del config["domains"]["example.org"]
    sesame.write(config)
    ses = f"arn:aws:ses:eu-west-1:{ACCOUNT_ID}"
    removed = {
        "SesIdentities": f"{ses}:identity/example.org",
        "SesConfigurationSets": f"{ses}:configuration-set/example-org",
        "SenderRoles": f"arn:aws:iam::{ACCOUNT_ID}:role/EC2-SSM-Role",
    }

    def granted(*argv: str) -> dict[str, list[str]]:
        document = json.loads(sesame.ok("admin-policy", *argv).stdout)
        return {st["Sid"]: st["Resource"] for st in document["Statement"]}

    offline = granted("--account-id", ACCOUNT_ID)  # the configuration alone
    assert removed["SesIdentities"] not in offline["SesIdentities"]
    assert "SenderRoles" not in offline
    before = granted()
    assert all(arn in before[sid] for sid, arn in removed.items()), before
    assert granted("--read-only")["SesIdentities"] == before["SesIdentities"]

    printed = json.loads(sesame.ok("admin-policy").stdout)
    applied = sesame("apply", env=_operator_holds(sesame, printed))
    assert applied.returncode == 0, applied.stderr[-2000:]
    after = granted()
    assert removed["SesIdentities"] not in after["SesIdentities"]
    assert "SenderRoles" not in after


def _tenants(n: int) -> sesame_config.Config:
    names = {f"tenant{i}.example.net": {"dmarc": {"policy": "none"}} for i in range(n)}
    return sesame_config.Config.model_validate(make_config(names))


@pytest.mark.parametrize("make", [policy, read_only_policy], ids=["apply", "read-only"])
@pytest.mark.parametrize(("domains", "exact"), [(1, True), (20, True), (40, False), (1000, False)])
def test_policy_fits_iams_managed_policy_quota_at_any_number_of_domains(
    make: Any, domains: int, exact: bool
) -> None:
    """IAM refuses a managed policy over 6,144 characters (white space not counted): two
    ARNs per domain pass it at about 25 domains, so past that the SES statements name every
    identity and configuration set of the account and Region instead of none at all."""
    document = make(_tenants(domains), "111122223333")
    assert len("".join(json.dumps(document).split())) <= 6144
    by_sid = {st["Sid"]: st for st in document["Statement"]}
    ses = "arn:aws:ses:eu-west-1:111122223333"
    if exact:
        assert by_sid["SesIdentities"]["Resource"] == [
            f"{ses}:identity/tenant{i}.example.net" for i in range(domains)
        ]
        assert len(by_sid["SesConfigurationSets"]["Resource"]) == domains
    else:
        assert by_sid["SesIdentities"]["Resource"] == [f"{ses}:identity/*"]
        assert by_sid["SesConfigurationSets"]["Resource"] == [f"{ses}:configuration-set/*"]
    # nothing outside SES is widened: IAM stays on /ses/ users, topics and alarms on ses-*
    assert by_sid["SenderUsers"]["Resource"] == ["arn:aws:iam::111122223333:user/ses/*"]
    assert by_sid["Topics"]["Resource"] == ["arn:aws:sns:eu-west-1:111122223333:ses-*"]


def test_role_senders_are_never_widened_to_every_role() -> None:
    """`iam:PutRolePolicy` on `role/*` would let the operator grant itself anything: the
    role senders' ARNs stay named even when the SES statements are widened."""
    names = {f"tenant{i}.example.net": {"dmarc": {"policy": "none"}} for i in range(60)}
    sender = {"kind": "role", "role": "app-role", "from": ["a@tenant0.example.net"]}
    names["tenant0.example.net"]["senders"] = {"app": sender}
    cfg = sesame_config.Config.model_validate(make_config(names))
    by_sid = {st["Sid"]: st for st in policy(cfg, "111122223333")["Statement"]}
    assert by_sid["SesIdentities"]["Resource"] == ["arn:aws:ses:eu-west-1:111122223333:identity/*"]
    assert by_sid["SenderRoles"]["Resource"] == ["arn:aws:iam::111122223333:role/app-role"]


def test_admin_policy_says_when_it_names_every_identity_instead(sesame: Sesame) -> None:
    names = {f"tenant{i}.example.net": {"dmarc": {"policy": "none"}} for i in range(40)}
    sesame.write(make_config(names))
    proc = sesame.ok("admin-policy", "--account-id", "111122223333")
    by_sid = {st["Sid"]: st for st in json.loads(proc.stdout)["Statement"]}
    assert by_sid["SesIdentities"]["Resource"] == ["arn:aws:ses:eu-west-1:111122223333:identity/*"]
    assert "40 domains' ARNs would pass IAM's 6,144-character quota" in proc.stderr
    assert "SesIdentities and SesConfigurationSets" in proc.stderr
    sesame.write(example_config())
    assert "quota" not in sesame.ok("admin-policy", "--account-id", "111122223333").stderr


def test_the_widened_policy_covers_every_call_of_an_apply(sesame: Sesame) -> None:
    """The sandbox's operator holds exactly `admin-policy`; at 30 domains that is the
    account-and-Region form, and the apply's every SES call is judged against it."""
    names = {f"tenant{i}.example.net": {"dmarc": {"policy": "none"}} for i in range(30)}
    sesame.write(make_config(names))
    document = json.loads(sesame.ok("admin-policy", "--account-id", ACCOUNT_ID).stdout)
    by_sid = {st["Sid"]: st for st in document["Statement"]}
    assert by_sid["SesIdentities"]["Resource"] == [f"arn:aws:ses:eu-west-1:{ACCOUNT_ID}:identity/*"]
    sesame.ok("apply")
    assert sesame("plan", "--detailed-exitcode").returncode == 0  # applied, nothing left
