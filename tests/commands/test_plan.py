"""What `sesame plan` says `sesame apply` will refuse (sesame.commands.plan); the reviewed
and sandbox paths run for real in tests/checks/test_gates.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesame.commands import plan
from sesame.tf.terraform import Summary

IDENTITY = 'module.aws.aws_sesv2_email_identity.this["a.example"]'
RECORD = 'module.cloudflare.cloudflare_dns_record.this["a.example/spf"]'


def test_a_shards_streamed_destroys_are_said_as_apply_refuses_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned = [("delete", IDENTITY), ("remove", RECORD), ("create", 'aws_iam_user.this["x"]')]
    plan._say_refusals(Summary(remove=2, planned=planned), None, tmp_path, "one")
    assert capsys.readouterr().err == (
        f"shard one: apply will refuse this plan: gate: plan would delete {IDENTITY} "
        "(aws_sesv2_email_identity); fix: re-run with --allow-destroy if that is intended "
        "(and 1 more)\n"
    )


def test_a_plan_that_destroys_nothing_protected_says_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned = [("delete", 'module.aws.aws_sns_topic_subscription.alarms["a@b.example"]')]
    plan._say_refusals(Summary(remove=1, planned=planned), None, tmp_path)
    assert capsys.readouterr().err == ""
