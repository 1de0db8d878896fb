"""A reviewed plan is applied only as reviewed: digest, staleness and policy gates."""

from __future__ import annotations

import copy
import json

import pytest

from sesame import output, report
from sesame.checks import gates
from sesame.commands import apply as apply_cmd
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError, GateError, StalePlanError
from sesame.tf import runner
from testing import Sesame, error_lines, example_config


def _plan_out(sesame: Sesame, config: dict, refuses: str | None = None) -> str:
    """Plan `config` for review; `refuses`: the gate line the plan must say apply stops on."""
    sesame.write(config)
    proc = sesame.ok("plan", "--out", "reviewed.plan.age", "--report", "rep")
    said = [ln for ln in proc.stderr.splitlines() if "apply will refuse this plan:" in ln]
    assert said == ([f"apply will refuse this plan: {refuses}"] if refuses else []), said
    [digest] = [ln.split()[-1] for ln in proc.stderr.splitlines() if ln.startswith("plan digest")]
    assert json.loads((sesame.top / "rep/report.json").read_text())["digest"] == digest
    return digest


def _serial(sesame: Sesame, config: dict) -> int:
    cfg = Config.model_validate(config)
    with open_target("sandbox", cfg, sesame.top) as target:
        runner.prepare(cfg, target)
        from sesame.tf import state

        s3 = state.s3_client(target)
        body = s3.get_object(Bucket=cfg.backend.bucket, Key=cfg.backend.key)["Body"].read()
    return json.loads(body)["serial"]


def test_reviewed_plan_applies_only_with_its_digest_and_never_when_stale(
    applied_example: Sesame,
) -> None:
    sesame, config = applied_example, example_config()
    changed = _with_dmarc(config, "reject")
    digest = _plan_out(sesame, changed)
    assert b"v=DMARC1" not in (sesame.top / "reviewed.plan.age").read_bytes()  # encrypted
    serial = _serial(sesame, changed)

    wrong = sesame("apply", "--plan", "reviewed.plan.age", "--expect-digest", "0" * 64)
    assert wrong.returncode == GateError.exit_code
    [line] = error_lines(wrong.stderr)
    assert f"digest {digest} is not the approved" in line and "fix:" in line
    assert _serial(sesame, changed) == serial  # nothing changed

    sesame.ok("apply", "--plan", "reviewed.plan.age", "--expect-digest", digest)
    assert sesame("plan", "--detailed-exitcode").returncode == 0

    # The same plan again: another apply changed the state since it was made.
    stale = sesame("apply", "--plan", "reviewed.plan.age", "--expect-digest", digest)
    assert stale.returncode == StalePlanError.exit_code  # its own: the pipeline re-plans
    assert "the plan is stale" in stale.stderr.strip().splitlines()[-1]


SANDBOX_SAYS = "sandbox: applying what production would refuse: "
WEAKER_DMARC = (
    "gate: _dmarc.example.com would weaken DMARC (p=quarantine -> p=none); fix: re-run with "
    "--allow-weaker-dmarc if that is intended"
)
# Removing example.org deletes its identity, its 7 records and web-ec2's role policy.
REMOVED_DOMAIN = (
    'gate: plan would delete module.aws.aws_sesv2_email_identity.this["example.org"] '
    "(aws_sesv2_email_identity); fix: re-run with --allow-destroy if that is intended "
    "(and 8 more)"
)


def _with_dmarc(config: dict, policy: str) -> dict:
    """`config` with example.com's DMARC policy changed."""
    changed = copy.deepcopy(config)
    changed["domains"]["example.com"]["dmarc"]["policy"] = policy
    return changed


def _gate_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "gate:" in ln]


def _production_refuses(sesame: Sesame, config: dict, **allow: bool) -> str | None:
    """The production gate on the real plan `plan --report` wrote: its one line, or None."""
    built = json.loads((sesame.top / "rep/report.json").read_text())
    flags = {"allow_destroy": False, "allow_weaker_dmarc": False, **allow}
    try:
        apply_cmd.gate(built, Config.model_validate(config), "production", **flags)
    except GateError as exc:
        assert exc.exit_code == GateError.exit_code != ConfigError.exit_code  # not "changes" (2)
        return str(exc)
    return None


def test_reviewed_plan_fails_gates_in_production_and_the_sandbox_says_so(
    applied_example: Sesame,
) -> None:
    sesame = applied_example
    weaker = _with_dmarc(example_config(), "none")
    digest = _plan_out(sesame, weaker, WEAKER_DMARC)
    assert _production_refuses(sesame, weaker) == WEAKER_DMARC
    assert _production_refuses(sesame, weaker, allow_weaker_dmarc=True) is None
    proc = sesame.ok("apply", "--plan", "reviewed.plan.age", "--expect-digest", digest)
    assert _gate_lines(proc.stderr) == [SANDBOX_SAYS + WEAKER_DMARC]
    assert sesame("plan", "--detailed-exitcode").returncode == 0  # applied

    fewer = copy.deepcopy(weaker)
    del fewer["domains"]["example.org"]
    # A plain plan says it too, from the streamed plan alone (no report, no plan JSON).
    sesame.write(fewer)
    plain = sesame.ok("plan").stderr
    assert f"apply will refuse this plan: {REMOVED_DOMAIN}" in plain, plain[-2000:]
    digest = _plan_out(sesame, fewer, REMOVED_DOMAIN)
    assert _production_refuses(sesame, fewer) == REMOVED_DOMAIN
    assert _production_refuses(sesame, fewer, allow_destroy=True) is None
    proc = sesame.ok(
        "apply", "--plan", "reviewed.plan.age", "--expect-digest", digest, "--allow-destroy"
    )
    assert _gate_lines(proc.stderr) == []


def test_plain_apply_runs_the_same_gates(applied_example: Sesame) -> None:
    sesame, config = applied_example, example_config()

    # The samples: plain `sesame apply` weakened DMARC and removed a domain unseen.
    weaker = _with_dmarc(config, "none")
    sesame.write(weaker)
    proc = sesame.ok("apply")
    assert _gate_lines(proc.stderr) == [SANDBOX_SAYS + WEAKER_DMARC]

    fewer = copy.deepcopy(weaker)
    del fewer["domains"]["example.org"]
    fewer["domains"]["example.com"]["dmarc"]["pct"] = 50  # weaker again, but allowed
    sesame.write(fewer)
    proc = sesame.ok("apply", "--allow-weaker-dmarc")
    assert _gate_lines(proc.stderr) == [SANDBOX_SAYS + REMOVED_DOMAIN]
    assert sesame("plan", "--detailed-exitcode").returncode == 0


@pytest.fixture(scope="module")
def creation_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Config]:
    """A real sandbox plan of the example configuration from nothing, and its facts."""
    sesame = Sesame(tmp_path_factory.mktemp("creation"))
    config = example_config()
    sesame.write(config)
    cfg = Config.model_validate(config)
    with open_target("sandbox", cfg, sesame.top) as target:
        prepared = runner.prepare(cfg, target)
        runner.plan(prepared)
        plan = prepared.tf.show_json(prepared.plan_file)
        facts = report.plan_file_facts(prepared.plan_file)
    return plan, facts, cfg


def test_iam_gate_stops_a_sender_policy_beyond_its_own_domain(creation_plan) -> None:
    plan, facts, cfg = copy.deepcopy(creation_plan)
    assert (
        gates.check(
            report.build(plan, facts, []), cfg, allow_destroy=False, allow_weaker_dmarc=False
        )
        == []
    )
    # The same real plan with one sender's policy edited to reach every identity.
    for rc in plan["resource_changes"]:
        if rc["type"] == "aws_iam_user_policy":
            doc = json.loads(rc["change"]["after"]["policy"])
            doc["Statement"][0]["Action"] = "ses:*"
            doc["Statement"][0]["Resource"] = "*"
            rc["change"]["after"]["policy"] = json.dumps(doc)
            break
    fails = gates.check(
        report.build(plan, facts, []), cfg, allow_destroy=False, allow_weaker_dmarc=False
    )
    [failed] = fails
    assert not failed.ok and failed.check == "send only"
    assert "beyond sending as its own domain" in failed.detail and "ses:*" in failed.detail


def test_removing_a_sender_is_a_destroy_but_following_a_new_role_is_not(creation_plan) -> None:
    plan, facts, cfg = copy.deepcopy(creation_plan)
    # The same real plan turned around: app-smtp goes (user, key, policy deleted), and
    # web-ec2's role policy is replaced to follow a new role.
    for rc in plan["resource_changes"]:
        change = rc["change"]
        if '"app-smtp"' in rc["address"] and rc["type"].startswith("aws_iam_"):
            change["actions"], change["before"], change["after"] = ["delete"], change["after"], None
            change["before_sensitive"], change["after_sensitive"] = change["after_sensitive"], False
            change["after_unknown"] = {}
            rc["action_reason"] = "delete_because_no_resource_config"
        elif rc["type"] == "aws_iam_role_policy":
            change["actions"] = ["delete", "create"]
            change["before"] = change["after"]
    built = report.build(plan, facts, [])
    fails = gates.check(built, cfg, allow_destroy=False, allow_weaker_dmarc=False)
    assert [gates.line(f).split(" (")[0] for f in fails] == [
        'gate: plan would delete module.aws.aws_iam_user.this["app-smtp"]',
        'gate: plan would delete module.aws.aws_iam_access_key.this["app-smtp"]',
        'gate: plan would delete module.aws.aws_iam_user_policy.this["app-smtp"]',
    ]
    assert gates.check(built, cfg, allow_destroy=True, allow_weaker_dmarc=False) == []


def test_the_sandboxs_gate_notice_is_shown_even_from_a_shard_whose_lines_are_held(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Side-by-side shards hold their progress back until one fails (sesame.tf.fanout): what
    # production would refuse is said at once all the same.
    failure = gates.Check("x", "destroy", False, "plan would delete x", fix="re-run with it")
    with output.capture():
        gates.enforce([failure], "sandbox")
    said = capsys.readouterr().err
    assert said == f"{SANDBOX_SAYS}gate: plan would delete x; fix: re-run with it\n"
