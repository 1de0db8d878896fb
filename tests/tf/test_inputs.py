"""What terraform is given: no secret in any child's environment or argv, measured live."""

from __future__ import annotations

import json
import secrets as random_secrets
from pathlib import Path

import pytest

from proc_sampler import Sampler
from sesame import process, secrets
from sesame.config import Config
from sesame.environments import open_target
from sesame.sandbox import keys
from sesame.tf import inputs
from testing import Sesame, domain, make_config

ONE = make_config(
    domain("scope.example", {"mailer": {"kind": "smtp", "from": ["noreply@scope.example"]}})
)
PROVIDERS = ("terraform-provider-aws_v5.100.0_x5", "terraform-provider-cloudflare_v5.24.0")
R2_HELPER = "python -m sesame.tf.backend"


def test_no_secret_reaches_any_child_environment_or_argv_during_a_sandbox_apply(
    sesame: Sesame,
) -> None:
    # Each consumer gets its secret another way: the providers' credentials are ephemeral
    # variables read by terraform from a pipe (and sent to the one provider that declares
    # them), R2's keys are fetched by the backend's credential helper from sesame's socket.
    sesame.write(ONE)
    canary = f"canary-{random_secrets.token_hex(8)}"  # not a secret: proves the sampler sees
    with Sampler() as sampler:
        sesame.ok("apply", env={"SAMPLER_CANARY": canary})
    names = {p.name for p in sampler.seen.values()}
    assert {"terraform", R2_HELPER, *PROVIDERS} <= names, names
    # Terraform hands its whole environment to every plugin and helper (why no secret may
    # be in it): the canary the sampler must find everywhere below sesame.
    canary_holders = {name for name, _ in sampler.holders(canary)}
    assert {"terraform", R2_HELPER, *PROVIDERS} <= canary_holders
    values = secrets.load(keys.SECRETS_FILE, keys.age_key())
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CLOUDFLARE_API_TOKEN"):
        assert sampler.holders(values.get(key)) == [], key
    for key in ("R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"):
        assert sampler.holders(values.get(key)) == [], key


def test_terraform_env_holds_no_credential_of_any_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "shell-key-id-not-for-terraform")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "shell-secret")
    monkeypatch.setenv("SOPS_AGE_KEY", "AGE-SECRET-KEY-1SHELL")
    monkeypatch.setenv("TF_VAR_cloudflare_api_token", "shell-token")
    cfg = Config.model_validate(ONE)
    with open_target("sandbox", cfg, tmp_path) as target:
        env = inputs.terraform_env(target, tmp_path / "rc")
        held = target.secrets.secret_values()
        variables = inputs.provider_variables(target)
        r2 = inputs.backend_credentials(target)
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "SOPS_AGE_KEY"} & env.keys()
    assert not [k for k in env if k.startswith("TF_VAR_")]
    assert not [k for k, v in env.items() if any(s in v for s in held)]
    # They travel separately: provider variables by pipe, R2's keys by socket.
    assert set(variables) == {"aws_access_key_id", "aws_secret_access_key", "cloudflare_api_token"}
    assert r2 is not None and r2.secret_access_key in held


@pytest.mark.parametrize(
    "value",
    ["plain", 'quo"te\\back', "tmpl-${var.x}-%{ if true }", "line\nbreak", "ünï"],
)
def test_hcl_var_file_reads_back_each_value_verbatim(tmp_path: Path, value: str) -> None:
    """Terraform's own parser reads the file: `terraform console` evaluates the variable."""
    (tmp_path / "main.tf").write_text('variable "v" {\n  type = string\n}\n')
    (tmp_path / "v.tfvars").write_bytes(inputs.hcl_var_file({"v": value}))
    proc = process.cmd_output(
        ["terraform", "console", "-var-file=v.tfvars"], stdin=b"jsonencode(var.v)\n", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(json.loads(proc.stdout.decode())) == value
