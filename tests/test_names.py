"""Names decided once (sesame.names) agree with terraform/aws, evaluated by terraform."""

from __future__ import annotations

from pathlib import Path

from hcl import TERRAFORM, block, evaluate
from sesame import names
from sesame.checks import admin_policy, gates

DOMAINS = [
    "example.com",
    "mail.example.co.uk",
    # 64 characters as a slug: the longest name kept as it is
    "a" * 52 + ".example.com",
    # past 64: cut and hashed
    "b" * 60 + ".example.com",
    "sub." + "c" * 63 + ".example.org",
]


def test_configuration_set_names_match_the_aws_module(tmp_path: Path) -> None:
    main_tf = TERRAFORM / "aws" / "main.tf"
    rule = block(main_tf, "slugs = ") + "\n" + block(main_tf, "configuration_set_names = ")
    locals_hcl = "domains = { for d in var.domains : d => {} }\n" + rule
    got = evaluate(tmp_path, locals_hcl, "local.configuration_set_names", {"domains": DOMAINS})
    assert got == {d: names.configuration_set_name(d) for d in DOMAINS}
    assert all(len(n) <= 64 for n in got.values())


def test_policy_and_gates_use_the_one_naming_rule() -> None:
    assert admin_policy.configuration_set_name is names.configuration_set_name
    assert gates.configuration_set_name is names.configuration_set_name


def test_from_address_is_the_first_literal_address() -> None:
    assert names.from_address(["*@example.com", "app@example.com"]) == "app@example.com"
    assert names.from_address(["a?@example.com", "*@example.com"]) is None
