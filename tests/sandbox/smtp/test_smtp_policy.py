"""The IAM identity-policy evaluator behind the SMTP endpoint's authorisation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sesame.sandbox.smtp.policy import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Request,
    evaluate,
    wildcard_match,
)

IDENTITY = "arn:aws:ses:eu-west-1:123456789012:identity/example.com"
SEND = Request("ses:SendRawEmail", IDENTITY, {"ses:FromAddress": "noreply@example.com"})


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "ses:SendRawEmail", "Resource": IDENTITY, **fields}


def deny(**fields: Any) -> dict[str, Any]:
    return {**allow(**fields), "Effect": "Deny"}


def when(operator: str, key: str, value: Any) -> dict[str, Any]:
    return {"Condition": {operator: {key: value}}}


def test_no_policies_is_an_implicit_deny() -> None:
    assert evaluate([], SEND) == IMPLICIT_DENY


def test_matching_allow_allows_and_json_text_is_accepted() -> None:
    assert evaluate([json.dumps(doc(allow()))], SEND) == ALLOW


def test_single_statement_object_rather_than_a_list_is_accepted() -> None:
    assert evaluate([{"Statement": allow()}], SEND) == ALLOW


def test_explicit_deny_wins_over_an_allow_in_another_policy() -> None:
    assert evaluate([doc(allow()), doc(deny())], SEND) == EXPLICIT_DENY


def test_deny_that_does_not_match_leaves_the_allow_standing() -> None:
    other = deny(Resource="arn:aws:ses:eu-west-1:123456789012:identity/other.org")
    assert evaluate([doc(allow(), other)], SEND) == ALLOW


def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert evaluate([doc(allow(Action="SES:sendraw*"))], SEND) == ALLOW
    assert evaluate([doc(allow(Action="ses:Send?awEmail"))], SEND) == ALLOW
    assert evaluate([doc(allow(Action=["ses:SendEmail"]))], SEND) == IMPLICIT_DENY


def test_not_action_covers_every_other_action() -> None:
    statement = {"Effect": "Allow", "NotAction": "ses:SendEmail", "Resource": "*"}
    assert evaluate([doc(statement)], SEND) == ALLOW
    statement = {"Effect": "Allow", "NotAction": "ses:Send*", "Resource": "*"}
    assert evaluate([doc(statement)], SEND) == IMPLICIT_DENY


def test_resources_match_case_sensitively_with_wildcards() -> None:
    assert evaluate([doc(allow(Resource="arn:aws:ses:*:*:identity/*"))], SEND) == ALLOW
    assert evaluate([doc(allow(Resource="arn:aws:ses:eu-west-?:*:*"))], SEND) == ALLOW
    upper = IDENTITY.replace("example.com", "Example.com")
    assert evaluate([doc(allow(Resource=upper))], SEND) == IMPLICIT_DENY


def test_not_resource_covers_every_other_resource() -> None:
    statement = {"Effect": "Deny", "Action": "ses:*", "NotResource": "*:identity/other.org"}
    assert evaluate([doc(allow(), statement)], SEND) == EXPLICIT_DENY
    statement = {"Effect": "Deny", "Action": "ses:*", "NotResource": "*:identity/example.*"}
    assert evaluate([doc(allow(), statement)], SEND) == ALLOW


def test_wildcard_star_matches_empty_runs_and_question_mark_exactly_one() -> None:
    assert wildcard_match("a*b", "ab")
    assert wildcard_match("a?b", "axb")
    assert not wildcard_match("a?b", "ab")
    assert not wildcard_match("a.b", "axb")  # regex metacharacters are literal


@pytest.mark.parametrize(
    ("operator", "value", "decision"),
    [
        ("StringEquals", "noreply@example.com", ALLOW),
        ("StringEquals", "NoReply@example.com", IMPLICIT_DENY),
        ("StringEquals", ["a@example.com", "noreply@example.com"], ALLOW),
        ("StringLike", "*@example.com", ALLOW),
        ("StringLike", "*@EXAMPLE.com", IMPLICIT_DENY),
        ("StringLike", "noreply@example.co?", ALLOW),
        ("StringNotEquals", "noreply@example.com", IMPLICIT_DENY),
        ("StringNotEquals", ["a@example.com", "b@example.com"], ALLOW),
        ("StringNotLike", "*@example.com", IMPLICIT_DENY),
        ("StringNotLike", "*@other.org", ALLOW),
        ("StringEqualsIgnoreCase", "NOREPLY@example.com", ALLOW),
    ],
)
def test_string_condition_operators(operator: str, value: Any, decision: str) -> None:
    assert evaluate([doc(allow(**when(operator, "ses:FromAddress", value)))], SEND) == decision


def test_condition_keys_are_case_insensitive() -> None:
    statement = allow(**when("StringEquals", "SES:fromaddress", "noreply@example.com"))
    assert evaluate([doc(statement)], SEND) == ALLOW


def test_every_operator_and_key_in_a_condition_must_hold() -> None:
    condition = {
        "StringLike": {"ses:FromAddress": "*@example.com"},
        "StringEquals": {"ses:FromDisplayName": "Example"},
    }
    assert evaluate([doc(allow(Condition=condition))], SEND) == IMPLICIT_DENY


def test_missing_key_fails_positive_operators_and_satisfies_negated_ones() -> None:
    assert evaluate([doc(allow(**when("StringLike", "ses:Other", "*")))], SEND) == IMPLICIT_DENY
    assert evaluate([doc(allow(**when("StringNotLike", "ses:Other", "x")))], SEND) == ALLOW
    assert evaluate([doc(allow(**when("StringLikeIfExists", "ses:Other", "x")))], SEND) == ALLOW


def test_for_any_value_and_for_all_values_over_a_multivalued_key() -> None:
    request = Request(SEND.action, SEND.resource, {"ses:Recipients": ["a@ok.org", "b@bad.org"]})

    def decide(operator: str) -> str:
        return evaluate([doc(allow(**when(operator, "ses:Recipients", "*@ok.org")))], request)

    assert decide("ForAnyValue:StringLike") == ALLOW
    assert decide("ForAllValues:StringLike") == IMPLICIT_DENY
    assert decide("StringLike") == ALLOW  # a plain operator matches any of the values
    assert decide("StringNotLike") == IMPLICIT_DENY  # ... and its negation none of them


def test_for_all_values_holds_and_for_any_value_fails_when_the_key_is_absent() -> None:
    for_all = allow(**when("ForAllValues:StringLike", "ses:Recipients", "*@ok.org"))
    for_any = allow(**when("ForAnyValue:StringLike", "ses:Recipients", "*@ok.org"))
    assert evaluate([doc(for_all)], SEND) == ALLOW
    assert evaluate([doc(for_any)], SEND) == IMPLICIT_DENY


def test_null_operator_tests_for_the_keys_absence() -> None:
    assert evaluate([doc(allow(**when("Null", "ses:Other", "true")))], SEND) == ALLOW
    assert evaluate([doc(allow(**when("Null", "ses:FromAddress", "true")))], SEND) == IMPLICIT_DENY


def test_unknown_operator_never_grants() -> None:
    statement = allow(**when("StringMatchesRegex", "ses:FromAddress", ".*"))
    assert evaluate([doc(statement)], SEND) == IMPLICIT_DENY


def test_unknown_operator_in_a_deny_still_denies() -> None:
    statement = deny(**when("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"))
    assert evaluate([doc(allow(), statement)], SEND) == EXPLICIT_DENY


def test_statement_without_a_resource_never_grants() -> None:
    statement = {"Effect": "Allow", "Action": "ses:SendRawEmail"}
    assert evaluate([doc(statement)], SEND) == IMPLICIT_DENY


def test_unreadable_document_is_ignored() -> None:
    assert evaluate(["{not json", doc(allow())], SEND) == ALLOW


def test_policy_variables_in_resources_name_the_caller() -> None:
    user = "arn:aws:iam::123456789012:user"
    own = allow(Action="iam:GetUser", Resource=f"{user}/*/${{aws:username}}")
    as_alice = {"aws:username": "alice"}
    assert evaluate([doc(own)], Request("iam:GetUser", f"{user}/ops/alice", as_alice)) == ALLOW
    assert evaluate([doc(own)], Request("iam:GetUser", f"{user}/ops/bob", as_alice)) == (
        IMPLICIT_DENY
    )
    # No value for the variable: the pattern matches nothing (never a wildcard)
    assert evaluate([doc(own)], Request("iam:GetUser", f"{user}/ops/alice")) == IMPLICIT_DENY
