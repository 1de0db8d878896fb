"""Names decided once (sesame.names) agree with terraform/aws, evaluated by terraform."""

from __future__ import annotations

import json
from pathlib import Path

import hcl2

from hcl import TERRAFORM, block, evaluate
from sesame import names
from sesame.checks import admin_policy, gates
from sesame.config import Config
from testing import domain, make_config

CONFIG = Config.model_validate(
    make_config(domain("example.com", {"app": {"kind": "smtp", "from": ["a@example.com"]}}))
)
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


def test_sender_path_is_the_aws_modules_iam_path_and_the_policys_scope() -> None:
    with (TERRAFORM / "aws" / "variables.tf").open() as f:
        [iam_path] = [b['"iam_path"'] for b in hcl2.load(f)["variable"] if '"iam_path"' in b]
    assert json.loads(iam_path["default"]) == names.SENDER_PATH
    # The root leaves it at the default (so every sender user sesame makes is on that path).
    assert "iam_path" not in (TERRAFORM / "main.tf").read_text()
    statement = next(
        s
        for s in admin_policy.policy(CONFIG, "123456789012")["Statement"]
        if s["Sid"] == "SenderUsers"
    )
    assert statement["Resource"] == [f"arn:aws:iam::123456789012:user{names.SENDER_PATH}*"]
