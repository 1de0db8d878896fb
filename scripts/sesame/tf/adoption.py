"""What already exists in AWS under a name sesame is about to create (docs/ownership.md).

Read-only, before any change. Ownership is state: a thing is sesame's when the state's
resources hold it (they survive failed and interrupted applies). Anything else found
under one of sesame's names existed before sesame (or was left outside state):

- a domain identity is adopted (an import block) with its settings then frozen in state,
  so `sesame destroy` gives it back as it was instead of deleting it;
- a configuration set, sender IAM user, SNS topic or CloudWatch alarm is refused in one
  line naming it and the fix: sesame would otherwise fail half-way ("already exists"),
  or take over and later delete something it did not make.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from sesame import aws, names, output
from sesame.config import Config
from sesame.errors import PreflightError
from sesame.target import Target
from sesame.tf import journal, state

ALARMS_TOPIC = "ses-reputation-alarms"
_IDENTITY = ("aws_sesv2_email_identity", "this")


def _found(call: Callable[[], Any], missing: str) -> Any | None:
    """The call's answer, or None when AWS answers with the error code `missing`
    (NotFoundException, NoSuchEntity); any other error is raised."""
    try:
        return call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == missing:
            return None
        raise


def _in_state(doc: dict[str, Any], type_: str, name: str) -> set[str]:
    return set(state.instances(doc, "module.aws", type_, name))


def _pages(call: Any, key: str, token_in: str, token_out: str, **kw: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        page = call(**kw)
        items += page.get(key, [])
        if not page.get(token_out):
            return items
        kw[token_in] = page[token_out]


def existing_identities(config: Config, target: Target) -> dict[str, str]:
    """Configured domains SES already has (sesame's own included) -> their
    VerificationStatus as ListEmailIdentities states it (SUCCESS, PENDING, FAILED,
    TEMPORARY_FAILURE, NOT_STARTED), sorted by domain. One call per 1,000 identities."""
    ses = aws.client("sesv2", config.region, target)
    found = {
        i["IdentityName"]: str(i.get("VerificationStatus") or "")
        for i in _pages(
            ses.list_email_identities,
            "EmailIdentities",
            "NextToken",
            "NextToken",
            PageSize=1000,
        )
    }
    return {d: found[d] for d in sorted(set(found) & set(config.domains))}


def described(config: Config, target: Target, existing: list[str]) -> dict[str, Any]:
    """domain -> SES's GetEmailIdentity response, one call per existing identity (its DKIM
    tokens, signing zone and settings before sesame are all read from this one answer)."""
    if not existing:
        return {}
    ses = aws.client("sesv2", config.region, target)
    return {domain: ses.get_email_identity(EmailIdentity=domain) for domain in existing}


def identities(doc: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    """Of the `existing` identities (domain -> GetEmailIdentity response), those state does
    not hold: adopted, each with its settings before sesame (given back on destroy)."""
    adopt: dict[str, Any] = {}
    for domain in sorted(set(existing) - _in_state(doc, *_IDENTITY)):
        got = existing[domain]
        mail_from = got.get("MailFromAttributes") or {}
        adopt[domain] = {
            "configuration_set_name": got.get("ConfigurationSetName"),
            "mail_from_domain": mail_from.get("MailFromDomain"),
            "behavior_on_mx_failure": mail_from.get("BehaviorOnMxFailure"),
        }
    return adopt


def _refuse(what: str, name: str, domain_or_sender: str, why_fix: str) -> PreflightError:
    return PreflightError(
        f"{domain_or_sender}: {what} {name} already exists and is not sesame's (not in its "
        f"state); nothing was changed; fix: {why_fix}"
    )


@dataclass
class Others:
    """What `check_others` found: the AWS objects to import (an interrupted apply of this
    state made them: sesame.tf.journal), and every name this run's apply may create."""

    imports: dict[str, dict[str, str]] = field(default_factory=dict)  # root var aws_imports
    creating: dict[str, list[str]] = field(default_factory=dict)  # journal kind -> names

    def add(self, kind: str, name: str) -> None:
        self.creating.setdefault(kind, []).append(name)


def _imported(
    others: Others, made: dict[str, set[str]], kind: str, name: str, to: tuple[str, str, str]
) -> bool:
    """A name found taken: imported (`to`: aws_imports map, key, import ID) when this
    state's journal names it (True); False: the caller refuses it."""
    if name not in made.get(kind, set()):
        return False
    group, key, import_id = to
    others.imports.setdefault(group, {})[key] = import_id
    output.status(f"{name}: made by an interrupted apply, never in state: imported")
    return True


def check_others(
    config: Config, target: Target, doc: dict[str, Any], found: journal.Journal
) -> Others:
    """Refuse, in one line, a configuration set, IAM user, SNS topic or alarm that sesame
    would create under a name already taken, unless this state's journal (`found`) says
    an interrupted apply made it (then it is imported)."""
    others = Others()
    made = found.names
    new_domains = sorted(
        set(config.domains) - _in_state(doc, "aws_sesv2_configuration_set", "this")
    )
    if new_domains:
        ses = aws.client("sesv2", config.region, target)
        for domain in new_domains:
            name = names.configuration_set_name(domain)
            others.add("configuration_set", name)
            got = partial(ses.get_configuration_set, ConfigurationSetName=name)
            if _found(got, "NotFoundException") is None:
                continue
            to = ("configuration_sets", domain, name)
            if _imported(others, made, "configuration_set", name, to):
                continue
            raise _refuse(
                "SES configuration set",
                name,
                f"domains.{domain}",
                "delete it (its event destinations and any identity's use of it go with "
                "it), or remove the domain from sesame.yaml",
            )

    _event_destinations(config, target, doc, others)

    key_senders = {n for n, (_, s) in config.senders().items() if s.kind != "role"}
    others.creating["access_key"] = sorted(key_senders)
    iam = aws.client("iam", config.region, target)
    for sender in sorted(key_senders - _in_state(doc, "aws_iam_user", "this")):
        others.add("iam_user", sender)
        got = _found(partial(iam.get_user, UserName=sender), "NoSuchEntity")
        if got is None:
            continue
        if _imported(others, made, "iam_user", sender, ("users", sender, sender)):
            continue
        user = got["User"]
        raise _refuse(
            "IAM user",
            f"{user.get('Path', '/')}{sender}",
            f"senders.{sender}",
            "rename the sender in sesame.yaml, or delete that user (and its keys) if it is unused",
        )

    topics = {f"ses-events-{names.configuration_set_name(d)}": d for d in new_domains}
    if config.account_resources and not _in_state(doc, "aws_sns_topic", "alarms"):
        topics[ALARMS_TOPIC] = "alarms"
    if topics:
        others.creating.setdefault("sns_topic", []).extend(sorted(topics))
        sns = aws.client("sns", config.region, target)
        existing = {
            t["TopicArn"].rsplit(":", 1)[1]: t["TopicArn"]
            for t in _pages(sns.list_topics, "Topics", "NextToken", "NextToken")
        }
        for topic in sorted(set(topics) & set(existing)):
            owner = topics[topic]
            group, key = ("alarms_topic", "0") if owner == "alarms" else ("event_topics", owner)
            if _imported(others, made, "sns_topic", topic, (group, key, existing[topic])):
                continue
            raise _refuse(
                "SNS topic",
                topic,
                f"domains.{owner}" if owner != "alarms" else "alarms",
                "delete it (after moving its subscriptions), or remove the domain",
            )

    alarms = _alarm_names(config) - {
        _alarm_name(k) for k in _in_state(doc, "aws_cloudwatch_metric_alarm", "reputation")
    }
    if alarms:
        others.creating.setdefault("alarm", []).extend(sorted(alarms))
        cw = aws.client("cloudwatch", config.region, target)
        taken: set[str] = set()
        ordered = sorted(alarms)
        for start in range(0, len(ordered), 100):  # DescribeAlarms takes 100 names a call
            answer = cw.describe_alarms(AlarmNames=ordered[start : start + 100])
            taken |= {a["AlarmName"] for a in answer.get("MetricAlarms", [])}
        keys = {_alarm_name(k): k for k in _alarm_keys(config)}
        for alarm in sorted(taken):
            if _imported(others, made, "alarm", alarm, ("alarms", keys[alarm], alarm)):
                continue
            raise _refuse(
                "CloudWatch alarm",
                alarm,
                "alarms",
                "delete or rename it (sesame makes one per domain and rate, named ses-*-rate)",
            )
    return others


EVENT_DESTINATION = "sns-events"  # terraform/aws/main.tf, event_destination_name


def _event_destinations(
    config: Config, target: Target, doc: dict[str, Any], others: Others
) -> None:
    """A configuration set sesame holds (in state, or imported now) whose event destination
    state lacks: an interrupted apply may have made the destination (creating it again is
    AlreadyExistsException half-way through the apply). One GetConfigurationSetEventDestinations
    per such set, none in a state that holds every destination; one found is imported.
    The destination's name is sesame's own, on sesame's own set, so no journal is needed."""
    held = _in_state(doc, "aws_sesv2_configuration_set", "this") | set(
        others.imports.get("configuration_sets", {})
    )
    missing = sorted(
        (held & set(config.domains))
        - _in_state(doc, "aws_sesv2_configuration_set_event_destination", "this")
    )
    if not missing:
        return
    ses = aws.client("sesv2", config.region, target)
    for domain in missing:
        name = names.configuration_set_name(domain)
        call = partial(ses.get_configuration_set_event_destinations, ConfigurationSetName=name)
        got = _found(call, "NotFoundException") or {}
        if any(d.get("Name") == EVENT_DESTINATION for d in got.get("EventDestinations", [])):
            group = others.imports.setdefault("event_destinations", {})
            group[domain] = f"{name}|{EVENT_DESTINATION}"
            output.status(
                f"{name}|{EVENT_DESTINATION}: made by an interrupted apply, never in state: "
                "imported"
            )


def _alarm_name(key: str) -> str:
    """terraform/aws/main.tf: alarm `key` (`<scope>/<rate>`) is named ses-<scope>-<rate>-rate."""
    return f"ses-{key.replace('/', '-')}-rate"


def _alarm_keys(config: Config) -> set[str]:
    scopes = ["account"] * config.account_resources + list(config.domains)
    return {f"{s}/{rate}" for s in scopes for rate in ("bounce", "complaint")}


def _alarm_names(config: Config) -> set[str]:
    return {_alarm_name(k) for k in _alarm_keys(config)}


def give_back_identity(config: Config, target: Target, domain: str, original: dict) -> None:
    """An adopted identity's settings put back as they were before sesame (after destroy
    deleted sesame's configuration set and MAIL FROM records)."""
    ses = aws.client("sesv2", config.region, target)
    cs = original.get("configuration_set_name")
    ses.put_email_identity_configuration_set_attributes(
        EmailIdentity=domain, **({"ConfigurationSetName": cs} if cs else {})
    )
    mail_from: dict[str, Any] = {}
    if original.get("mail_from_domain"):
        mail_from["MailFromDomain"] = original["mail_from_domain"]
    if original.get("behavior_on_mx_failure"):
        mail_from["BehaviorOnMxFailure"] = original["behavior_on_mx_failure"]
    ses.put_email_identity_mail_from_attributes(EmailIdentity=domain, **mail_from)


def remove_made(config: Config, target: Target, found: journal.Journal) -> list[str]:
    """For `sesame destroy`, after the state's own resources are gone: delete what this
    state's journal says an interrupted apply may have made and that still exists (it was
    never in state, or the destroy would have removed it), then the journal. Returns
    `kind name` of each deleted object."""
    made = found.names
    gone: list[str] = []
    if made.get("configuration_set"):
        ses = aws.client("sesv2", config.region, target)
        for name in sorted(made["configuration_set"]):
            call = partial(ses.delete_configuration_set, ConfigurationSetName=name)
            if _found(call, "NotFoundException") is not None:
                gone.append(f"SES configuration set {name}")
    if made.get("iam_user"):
        iam = aws.client("iam", config.region, target)
        for user in sorted(made["iam_user"]):
            if aws.sender_user(iam, user) is None:  # never made, or not sesame's path
                continue
            for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
            for policy in iam.list_user_policies(UserName=user)["PolicyNames"]:
                iam.delete_user_policy(UserName=user, PolicyName=policy)
            iam.delete_user(UserName=user)
            gone.append(f"IAM user {user}")
    if made.get("sns_topic"):
        sns = aws.client("sns", config.region, target)
        for t in _pages(sns.list_topics, "Topics", "NextToken", "NextToken"):
            if t["TopicArn"].rsplit(":", 1)[1] in made["sns_topic"]:
                sns.delete_topic(TopicArn=t["TopicArn"])
                gone.append(f"SNS topic {t['TopicArn'].rsplit(':', 1)[1]}")
    if made.get("alarm"):
        cw = aws.client("cloudwatch", config.region, target)
        ordered = sorted(made["alarm"])
        for start in range(0, len(ordered), 100):
            answer = cw.describe_alarms(AlarmNames=ordered[start : start + 100])
            found = [a["AlarmName"] for a in answer.get("MetricAlarms", [])]
            if found:
                cw.delete_alarms(AlarmNames=found)
                gone += [f"CloudWatch alarm {a}" for a in found]
    if made:
        journal.end(config, target)
    return gone


def _keys_in_state(doc: dict[str, Any]) -> set[str]:
    return {
        str(attrs.get("id"))
        for slot in ("this", "alternate")
        for attrs in state.instances(doc, "module.aws", "aws_iam_access_key", slot).values()
    }


def stray_keys(
    config: Config,
    target: Target,
    doc: dict[str, Any],
    found: journal.Journal,
    *,
    since: bool = True,
) -> list[tuple[str, str]]:
    """(user, access key ID) of each key an interrupted apply made that state does not
    hold: its secret was lost with the answer, and it takes one of IAM's two key slots (a
    later rotation would fail). Only users the journal names; `since` (plan, apply): only
    keys made at or after the interrupted apply began (a key made by hand earlier is the
    owner's business); destroy takes every key state lacks, or deleting the user fails.
    One GetUser per named user, and one ListAccessKeys per one that exists under sesame's
    path (aws.sender_user: a user the interrupted apply never made is not an error); none
    without a journal."""
    users = found.names.get("access_key", set())
    if not users:
        return []
    began = found.started if since else None
    held = _keys_in_state(doc)
    iam = aws.client("iam", config.region, target)
    found = []
    for user in sorted(users):
        if aws.sender_user(iam, user) is None:
            continue
        for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            if k["AccessKeyId"] in held or (began and k["CreateDate"] < began):
                continue
            found.append((user, k["AccessKeyId"]))
    return found


def delete_keys(config: Config, target: Target, keys: list[tuple[str, str]]) -> None:
    """Delete the `stray_keys` (one DeleteAccessKey each), one status line each."""
    if not keys:
        return
    iam = aws.client("iam", config.region, target)
    for user, key_id in keys:
        iam.delete_access_key(UserName=user, AccessKeyId=key_id)
        output.status(f"deleted access key …{key_id[-4:]} of {user}: {STRAY_KEY}")


STRAY_KEY = "made by an interrupted apply, its secret never recorded"
