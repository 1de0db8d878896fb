"""What existed before sesame is left as it was (issue 12 §C): the world is seeded by hand
(moto and the SES v2 emulator, before the first apply), then the real CLI runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sesame import errors
from sesame.config import Config
from sesame.sandbox import world
from sesame.target import workdir_for
from testing import Sesame, account_users, domain, error_lines, make_config

ZONE = "found.example"
CONFIG = make_config(
    domain(ZONE, {"found-smtp": {"kind": "smtp", "from": [f"noreply@{ZONE}"]}}),
)
CFG = Config.model_validate(CONFIG)
ACCOUNT, REGION = world.ACCOUNT_ID, CFG.region


def _sandbox(top: Path) -> world.Sandbox:
    return world.Sandbox(workdir_for(top, "sandbox"), CFG)


def _configuration_set(sb: world.Sandbox) -> None:
    sb.ses.create_configuration_set(ACCOUNT, REGION, configuration_set_name="found-example")


def _iam_user(sb: world.Sandbox) -> None:
    sb.client("iam").create_user(UserName="found-smtp", Path="/people/")


def _sns_topic(sb: world.Sandbox) -> None:
    sb.client("sns").create_topic(Name="ses-events-found-example")


def _alarm(sb: world.Sandbox) -> None:
    sb.client("cloudwatch").put_metric_alarm(
        AlarmName="ses-account-bounce-rate",
        Namespace="AWS/SES",
        MetricName="Reputation.BounceRate",
        Statistic="Average",
        Period=3600,
        EvaluationPeriods=1,
        Threshold=0.1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


TAKEN: dict[str, tuple[Callable[[world.Sandbox], None], str]] = {
    "configuration-set": (_configuration_set, "SES configuration set found-example"),
    "iam-user": (_iam_user, "senders.found-smtp: IAM user /people/found-smtp"),
    "sns-topic": (_sns_topic, "SNS topic ses-events-found-example"),
    "alarm": (_alarm, "CloudWatch alarm ses-account-bounce-rate"),
}


@pytest.mark.parametrize("kind", list(TAKEN))
def test_a_name_sesame_would_create_already_taken_is_refused_before_any_change(
    sesame: Sesame, kind: str
) -> None:
    seed, named = TAKEN[kind]
    sesame.write(CONFIG)
    with _sandbox(sesame.top) as sb:
        seed(sb)
    proc = sesame("apply")
    assert proc.returncode == errors.PreflightError.exit_code, proc.stderr
    [line] = error_lines(proc.stderr)
    assert named in line and "already exists and is not sesame's" in line and "fix:" in line
    with _sandbox(sesame.top) as sb:  # nothing was changed
        assert not sb.ses.list_identities(ACCOUNT, REGION)
        assert account_users(sb) == (["found-smtp"] if kind == "iam-user" else [])


def _identity(sb: world.Sandbox) -> dict[str, Any]:
    i = sb.ses.get_identity(ACCOUNT, REGION, ZONE)
    assert i is not None
    return {
        "set": i.configuration_set_name,
        "mail_from": i.mail_from_domain,
        "mx_failure": i.behavior_on_mx_failure,
        "dkim_tokens": list(i.dkim_tokens),
    }


def test_an_identity_made_by_hand_is_adopted_and_given_back_by_destroy(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    with _sandbox(sesame.top) as sb:
        sb.ses.create_configuration_set(ACCOUNT, REGION, configuration_set_name="legacy")
        sb.ses.create_email_identity(
            ACCOUNT, REGION, email_identity=ZONE, configuration_set_name="legacy"
        )
        sb.ses.put_email_identity_mail_from_attributes(
            ACCOUNT,
            REGION,
            email_identity=ZONE,
            mail_from_domain=f"bounce.{ZONE}",
            behavior_on_mx_failure="REJECT_MESSAGE",
        )
        before = _identity(sb)

    sesame.ok("apply")
    with _sandbox(sesame.top) as sb:
        adopted = _identity(sb)
        assert adopted["set"] == "found-example" and adopted["mail_from"] == f"mail.{ZONE}"
        assert adopted["dkim_tokens"] == before["dkim_tokens"]  # the same identity, not a new one

    done = sesame.ok("destroy")
    assert "gave back 1 adopted identity" in done.stdout
    assert f"gave back identity {ZONE} as it was before sesame" in done.stderr
    with _sandbox(sesame.top) as sb:
        assert _identity(sb) == before  # still there, as it was
        sets = [c.name for c in sb.ses.list_configuration_sets(ACCOUNT, REGION)]
        assert sets == ["legacy"]  # sesame's own set went, the owner's stayed
        assert account_users(sb) == []
    state = json.loads(_state_text(sesame.top))
    assert state["resources"] == []


def _state_text(top: Path) -> bytes:
    with _sandbox(top) as sb:
        s3 = sb.client("s3", region="us-east-1")
        return s3.get_object(Bucket=CFG.backend.bucket, Key=CFG.backend.key)["Body"].read()
