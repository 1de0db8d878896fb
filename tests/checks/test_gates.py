"""A reviewed plan is applied only as reviewed: digest, staleness and policy gates."""

from __future__ import annotations

import copy
import json

from sesame import report
from sesame.checks import gates
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import GateError, StalePlanError
from sesame.tf import runner
from testing import Sesame, example_config


def _plan_out(sesame: Sesame, config: dict) -> str:
    sesame.write(config)
    proc = sesame.ok("plan", "--out", "reviewed.plan.age", "--report", "rep")
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


def _applied_then_planned(sesame: Sesame, dmarc_policy: str) -> tuple[dict, dict, str]:
    """Apply the example, then export a plan that sets example.com's DMARC policy."""
    config = example_config()
    sesame.write(config)
    sesame.ok("apply")
    changed = copy.deepcopy(config)
    changed["domains"]["example.com"]["dmarc"]["policy"] = dmarc_policy
    return config, changed, _plan_out(sesame, changed)


def test_reviewed_plan_applies_only_with_its_digest_and_never_when_stale(sesame: Sesame) -> None:
    _, changed, digest = _applied_then_planned(sesame, "reject")
    assert b"v=DMARC1" not in (sesame.top / "reviewed.plan.age").read_bytes()  # encrypted
    serial = _serial(sesame, changed)

    wrong = sesame("apply", "--plan", "reviewed.plan.age", "--expect-digest", "0" * 64)
    assert wrong.returncode == GateError.exit_code
    [line] = wrong.stderr.strip().splitlines()
    assert f"digest {digest} is not the approved" in line and "fix:" in line
    assert _serial(sesame, changed) == serial  # nothing changed

    sesame.ok("apply", "--plan", "reviewed.plan.age", "--expect-digest", digest)
    assert sesame("plan", "--detailed-exitcode").returncode == 0

    # The same plan again: another apply changed the state since it was made.
    stale = sesame("apply", "--plan", "reviewed.plan.age", "--expect-digest", digest)
    assert stale.returncode == StalePlanError.exit_code  # its own: the pipeline re-plans
    assert "the plan is stale" in stale.stderr.strip().splitlines()[-1]
    sesame.ok("destroy")


def test_gates_stop_identity_deletion_and_weaker_dmarc_unless_allowed(sesame: Sesame) -> None:
    config, _, digest = _applied_then_planned(sesame, "none")
    proc = sesame("apply", "--plan", "reviewed.plan.age", "--expect-digest", digest)
    assert proc.returncode == GateError.exit_code
    assert "gate: _dmarc.example.com would weaken DMARC" in proc.stderr

    fewer = copy.deepcopy(config)
    del fewer["domains"]["example.org"]
    digest = _plan_out(sesame, fewer)
    proc = sesame("apply", "--plan", "reviewed.plan.age", "--expect-digest", digest)
    assert proc.returncode == GateError.exit_code
    [line] = proc.stderr.strip().splitlines()
    assert 'gate: plan would delete module.aws.aws_sesv2_email_identity.this["example.org"]' in line
    sesame.ok("apply", "--plan", "reviewed.plan.age", "--expect-digest", digest, "--allow-destroy")
    sesame.write(config)
    sesame.ok("destroy")


def test_iam_gate_stops_a_sender_policy_beyond_its_own_domain(sesame: Sesame) -> None:
    config = example_config()
    sesame.write(config)
    cfg = Config.model_validate(config)
    with open_target("sandbox", cfg, sesame.top) as target:
        prepared = runner.prepare(cfg, target)
        runner.plan(prepared)
        plan = prepared.tf.show_json(prepared.plan_file)
        facts = report.plan_file_facts(prepared.plan_file)
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
    assert (
        len(fails) == 1 and "beyond sending as its own domain" in fails[0] and "ses:*" in fails[0]
    )
