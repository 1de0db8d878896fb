"""The runner against the real terraform: init only when needed, credentials kept out of plans."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from sesame import secrets
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import TerraformError
from sesame.report import terminal
from sesame.sandbox import keys
from sesame.tf import runner, terraform
from testing import domain, make_config

CONFIG = Config.model_validate(
    make_config(domain("plan.example", {"p-smtp": {"kind": "smtp", "from": ["a@plan.example"]}}))
)


def _sandbox_secrets() -> list[str]:
    return secrets.load(keys.SECRETS_FILE, keys.age_key()).secret_values()


def test_saved_plan_and_data_dir_hold_no_provider_or_backend_credentials(tmp_path: Path) -> None:
    with open_target("sandbox", CONFIG, tmp_path) as target:
        prepared = runner.prepare(CONFIG, target)
        summary = runner.plan(prepared)
        assert summary.add > 0
        with zipfile.ZipFile(prepared.plan_file) as plan:
            blobs = {n: plan.read(n) for n in plan.namelist()}
        data_files = {p: p.read_bytes() for p in target.data_dir.rglob("*") if p.is_file()}
    assert "tfplan" in blobs
    for value in _sandbox_secrets():
        assert not any(value.encode() in b for b in blobs.values()), "secret inside the saved plan"
        assert not any(value.encode() in b for b in data_files.values()), "secret under .terraform"
    # The plan never outlives the command that made it.
    assert not (tmp_path / ".sesame/sandbox/plan.tfplan").exists()


def test_init_reruns_only_when_its_inputs_change(tmp_path: Path) -> None:
    with open_target("sandbox", CONFIG, tmp_path) as target:
        prepared = runner.prepare(CONFIG, target)  # first run: init
        backend_file = target.workdir / "backend.tfbackend"
        assert prepared.tf.init(backend_file, runner.module_sources()) is False
        backend_file.write_text(
            backend_file.read_text().replace("sesame/terraform", "other/terraform")
        )
        assert prepared.tf.init(backend_file, runner.module_sources()) is True


def test_terraform_diagnostics_are_shown_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with open_target("sandbox", CONFIG, tmp_path) as target:
        prepared = runner.prepare(CONFIG, target)
        bad = json.loads(prepared.var_file.read_text())
        bad["adopt_identities"] = {"not-configured.example": {}}
        prepared.var_file.write_text(json.dumps(bad))
        with pytest.raises(TerraformError, match="Invalid value for variable"):
            runner.plan(prepared)
    err = capsys.readouterr().err
    assert "adopt_identities may only name configured domains." in err


def test_planned_changes_are_listed_once_sorted_and_the_rest_counted() -> None:
    total = terminal.PLANNED_LINES + 37
    planned = [("create", f"x.y[{i:04}]") for i in reversed(range(total))]
    lines = terminal.planned_lines(planned, None)
    listed = [line.split()[-1] for line in lines if "create  x.y[" in line]
    assert listed == sorted(listed) == [f"x.y[{i:04}]" for i in range(terminal.PLANNED_LINES)]
    assert "… and 37 more planned change(s)" in lines[-1]


def test_progress_prints_apply_events_but_not_the_planned_list_terraform_streams(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = terraform.Progress()
    change = {"action": "create", "resource": {"addr": "x.y"}}
    progress({"type": "planned_change", "change": change})
    progress(
        {"type": "change_summary", "@message": "Plan: 1 to add", "changes": {"operation": "plan"}}
    )
    progress({"type": "planned_change", "change": change})  # a saved plan's apply repeats it
    progress({"type": "apply_start", "hook": {"action": "create", "resource": {"addr": "x.y"}}})
    progress(
        {"type": "change_summary", "@message": "Apply complete!", "changes": {"operation": "apply"}}
    )
    err = capsys.readouterr().err
    assert "x.y" in err and "create  x.y" not in err and "Plan: 1 to add" not in err
    assert "Apply complete!" in err


# One object, so that the state pushed over it is not an empty one Terraform lets go.
HELD = {
    "mode": "managed",
    "type": "terraform_data",
    "name": "held",
    "provider": 'provider["terraform.io/builtin/terraform"]',
    "instances": [{"schema_version": 0, "attributes": {"id": "held"}}],
}


def test_a_refused_state_push_is_shown_without_terraforms_colour_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # `terraform state push` takes no -no-color: its refusal reached pipes and CI logs as
    # raw escape codes.
    with open_target("sandbox", CONFIG, tmp_path) as target:
        prepared = runner.prepare(CONFIG, target)
        doc = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "outputs": {}}
        pushed = tmp_path / "pushed.tfstate"
        for end in ("a", "b"):
            lineage = f"5e5a4c1e-0000-4000-8000-00000000000{end}"
            pushed.write_text(json.dumps({**doc, "lineage": lineage, "resources": [HELD]}))
            ok = prepared.tf.state_push(pushed)
    assert ok is False  # the second: another state's lineage
    err = capsys.readouterr().err
    assert "cannot import state with lineage" in err and "\x1b[" not in err
