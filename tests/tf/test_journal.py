"""AWS objects an interrupted apply made but state never recorded (a Ctrl-C cancels the
provider's request after AWS answered it): the journal the apply wrote beside the state
names them, so the next apply imports them and destroy deletes them, while the same names
made by anyone else are still refused (sesame.tf.journal, sesame.tf.adoption)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sesame import errors
from sesame.config import Config
from sesame.sandbox import world
from sesame.target import workdir_for
from sesame.tf import journal
from testing import AppliedCopy, Sesame, account_users, domain, error_lines, make_config

ZONE = "journal.example"
CONFIG = make_config(domain(ZONE, {"journal-smtp": {"kind": "smtp", "from": [f"noreply@{ZONE}"]}}))
CFG = Config.model_validate(CONFIG)
ACCOUNT, REGION = world.ACCOUNT_ID, CFG.region
# What the apply creates under a name, and the journal's kind for it.
LOST = {
    "aws_sesv2_configuration_set": "configuration_set",
    "aws_iam_user": "iam_user",
    "aws_sns_topic": "sns_topic",
    "aws_cloudwatch_metric_alarm": "alarm",
}


def _sandbox(top: Path) -> world.Sandbox:
    return world.Sandbox(workdir_for(top, "sandbox"), CFG)


def _s3(sb: world.Sandbox) -> Any:
    return sb.client("s3", region="us-east-1")


def _journal(top: Path) -> dict[str, Any] | None:
    with _sandbox(top) as sb:
        listed = _s3(sb).list_objects_v2(Bucket=CFG.backend.bucket).get("Contents", [])
        if not any(o["Key"] == journal.key(CFG) for o in listed):
            return None
        got = _s3(sb).get_object(Bucket=CFG.backend.bucket, Key=journal.key(CFG))
        return json.loads(got["Body"].read())


def _interrupt(top: Path) -> int:
    """What a Ctrl-C whose answers were lost leaves: the objects exist, the state does not
    hold them, and the journal the apply wrote before it ran names them."""
    with _sandbox(top) as sb:
        s3 = _s3(sb)
        doc = json.loads(
            s3.get_object(Bucket=CFG.backend.bucket, Key=CFG.backend.key)["Body"].read()
        )
        names: dict[str, list[str]] = {}
        lost = 0
        for resource in doc["resources"]:
            kind = LOST.get(resource["type"])
            if kind is None or resource.get("module") != "module.aws":
                continue
            for instance in resource["instances"]:
                a = instance["attributes"]
                name = a.get("configuration_set_name") or a.get("alarm_name") or a["name"]
                names.setdefault(kind, []).append(name)
            lost += len(resource["instances"])
        # The set's event destination too: sesame's name on sesame's set needs no journal.
        gone = {*LOST, "aws_sesv2_configuration_set_event_destination"}
        doc["resources"] = [
            r
            for r in doc["resources"]
            if not (r["type"] in gone and r.get("module") == "module.aws")
        ]
        doc["serial"] += 1
        s3.put_object(Bucket=CFG.backend.bucket, Key=CFG.backend.key, Body=json.dumps(doc).encode())
        body = {"started": "2026-12-05T04:00:00+00:00", "names": names}
        s3.put_object(
            Bucket=CFG.backend.bucket, Key=journal.key(CFG), Body=json.dumps(body).encode()
        )
    return lost


def _aws(top: Path) -> dict[str, Any]:
    with _sandbox(top) as sb:
        return {
            "users": account_users(sb),
            "sets": sorted(c.name for c in sb.ses.list_configuration_sets(ACCOUNT, REGION)),
            "topics": sorted(t["TopicArn"] for t in sb.client("sns").list_topics()["Topics"]),
            "alarms": sorted(
                a["AlarmName"] for a in sb.client("cloudwatch").describe_alarms()["MetricAlarms"]
            ),
        }


def test_objects_an_interrupted_apply_made_are_imported_then_destroyed(
    applied_copy: AppliedCopy,
) -> None:
    sesame = applied_copy("journal", CONFIG)
    assert _journal(sesame.top) is None  # a completed apply leaves none
    applied = _aws(sesame.top)
    # a configuration set, a user, the events and alarms topics, 4 alarms (account, domain)
    lost = _interrupt(sesame.top)
    assert lost == 8

    plan = sesame.ok("plan")
    imports = lost + 1  # and the event destination
    assert f"changes: 0 to add, 0 to change, 0 to destroy, {imports} to import" in plan.stdout, (
        plan.stdout + plan.stderr
    )
    imported = re.findall(
        r"(\S+): made by an interrupted apply, never in state: imported", plan.stderr
    )
    assert len(imported) == imports and "journal-smtp" in imported
    assert "journal-example|sns-events" in imported

    sesame.ok("apply")
    assert _aws(sesame.top) == applied  # nothing made twice
    assert _journal(sesame.top) is None
    assert sesame("plan", "--detailed-exitcode").returncode == 0

    _interrupt(sesame.top)
    done = sesame.ok("destroy")
    removed = re.findall(r"removed (.+): made by an interrupted apply", done.stderr)
    assert "IAM user journal-smtp" in removed and len(removed) == lost, done.stderr
    assert _aws(sesame.top) == {"users": [], "sets": [], "topics": [], "alarms": []}
    assert _journal(sesame.top) is None


def test_a_journal_names_only_what_this_state_may_create_so_others_are_still_refused(
    sesame: Sesame,
) -> None:
    sesame.write(CONFIG)
    with _sandbox(sesame.top) as sb:  # another checkout's journal would not be this state's
        sb.client("iam").create_user(UserName="journal-smtp")
        # Its access_key entry names the hand-made user: its keys are not sesame's to list
        # (that user is outside /ses/, where the operator's policy would refuse the call).
        names = {"iam_user": ["someone-else"], "access_key": ["journal-smtp"]}
        body = {"started": "2026-12-05T04:00:00+00:00", "names": names}
        _s3(sb).put_object(
            Bucket=CFG.backend.bucket, Key=journal.key(CFG), Body=json.dumps(body).encode()
        )
    proc = sesame("apply")
    assert proc.returncode == errors.PreflightError.exit_code, proc.stderr
    [line] = error_lines(proc.stderr)
    assert "IAM user /journal-smtp already exists and is not sesame's" in line


def _journal_before_anything(top: Path) -> None:
    """What a Ctrl-C early in the first apply leaves: a journal naming the sender's user
    and its key, neither of which AWS made yet (a user that does not exist is judged on
    `user/<name>`, outside the /ses/ path the operator's policy allows ListAccessKeys on)."""
    names = {"iam_user": ["journal-smtp"], "access_key": ["journal-smtp"]}
    body = {"started": "2026-12-05T04:00:00+00:00", "names": names}
    with _sandbox(top) as sb:
        _s3(sb).put_object(
            Bucket=CFG.backend.bucket, Key=journal.key(CFG), Body=json.dumps(body).encode()
        )


def test_a_journal_naming_users_never_made_stops_nothing(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    _journal_before_anything(sesame.top)
    sesame.ok("destroy")  # nothing to remove, and the journal goes with it
    assert _journal(sesame.top) is None

    _journal_before_anything(sesame.top)
    plan = sesame.ok("plan")
    assert "made by an interrupted apply" not in plan.stderr, plan.stderr
    sesame.ok("apply")
    assert _aws(sesame.top)["users"] == ["journal-smtp"]
    assert _journal(sesame.top) is None


def _lose_key(top: Path) -> str:
    """The sender's access key exists, state lost it, and the journal names its user."""
    with _sandbox(top) as sb:
        s3 = _s3(sb)
        doc = json.loads(
            s3.get_object(Bucket=CFG.backend.bucket, Key=CFG.backend.key)["Body"].read()
        )
        [keys] = [
            r for r in doc["resources"] if r["type"] == "aws_iam_access_key" and r["name"] == "this"
        ]
        [instance] = keys["instances"]
        keys["instances"] = []
        doc["serial"] += 1
        s3.put_object(Bucket=CFG.backend.bucket, Key=CFG.backend.key, Body=json.dumps(doc).encode())
        body = {"started": "2026-01-01T00:00:00+00:00", "names": {"access_key": ["journal-smtp"]}}
        s3.put_object(
            Bucket=CFG.backend.bucket, Key=journal.key(CFG), Body=json.dumps(body).encode()
        )
        return instance["attributes"]["id"]


def _keys(top: Path) -> list[str]:
    with _sandbox(top) as sb:
        listed = sb.client("iam").list_access_keys(UserName="journal-smtp")["AccessKeyMetadata"]
        return sorted(k["AccessKeyId"] for k in listed)


def test_a_key_whose_secret_an_interrupted_apply_lost_is_deleted_not_left_in_a_slot(
    applied_copy: AppliedCopy,
) -> None:
    sesame = applied_copy("journal", CONFIG)
    lost = _lose_key(sesame.top)

    plan = sesame.ok("plan")
    line = f"access key …{lost[-4:]} of journal-smtp: made by an interrupted apply"
    assert line in plan.stderr and "apply deletes it" in plan.stderr, plan.stderr
    assert "changes: 1 to add" in plan.stdout
    assert _keys(sesame.top) == [lost]  # a plan changes nothing

    sesame.ok("apply")
    [new] = _keys(sesame.top)  # one slot used, by the key whose secret sesame holds
    assert new != lost
    assert sesame("plan", "--detailed-exitcode").returncode == 0

    _lose_key(sesame.top)  # IAM refuses to delete a user with a key: destroy deletes it first
    done = sesame.ok("destroy")
    assert f"deleted access key …{new[-4:]} of journal-smtp" in done.stderr
    assert _aws(sesame.top)["users"] == []
