"""The sandbox's operator principal: what it holds while a removal is applied."""

from __future__ import annotations

from sesame.sandbox import seed


def _policy(*statements: tuple[str, list[str], list[str] | str]) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}
            for sid, actions, resource in statements
        ],
    }


def test_a_removed_domains_resources_stay_granted_beside_the_new_policy() -> None:
    held = _policy(
        ("Sets", ["ses:GetConfigurationSet"], ["set/example-com", "set/example-org"]),
        ("Roles", ["iam:GetRolePolicy"], ["role/EC2-SSM-Role"]),
    )
    new = _policy(("Sets", ["ses:GetConfigurationSet"], ["set/example-com"]))
    got = seed.widened(held, new)
    assert got["Statement"][0]["Resource"] == ["set/example-com", "set/example-org"]
    assert got["Statement"][1]["Sid"] == "Roles"  # a statement the new policy lacks is kept


def test_nothing_held_is_the_new_policy_exactly() -> None:
    new = _policy(("All", ["sts:GetCallerIdentity"], "*"))
    assert seed.widened({}, new) == new


def test_a_statement_whose_actions_changed_takes_the_new_one() -> None:
    held = _policy(("Sets", ["ses:GetConfigurationSet", "ses:DeleteConfigurationSet"], ["a"]))
    new = _policy(("Sets", ["ses:GetConfigurationSet"], ["b"]))
    assert seed.widened(held, new)["Statement"] == new["Statement"]


def test_widening_a_policy_by_itself_changes_nothing_not_even_the_order() -> None:
    """The second command of a run widens the operator's policy by the same policy: it must
    stay byte-for-byte `sesame admin-policy` (found: resources came back sorted)."""
    policy = _policy(
        ("Sets", ["ses:GetConfigurationSet"], ["set/zeta", "set/alpha", "set/mid"]),
        ("All", ["sts:GetCallerIdentity"], "*"),
    )
    assert seed.widened(policy, policy) == policy
