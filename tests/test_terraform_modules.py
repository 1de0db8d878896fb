"""The Terraform modules on their own: the root's copies of the children's types, the
cloudflare module's input checks, an example planned for real, and the pre-commit config."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from sesame.dns import orphans
from testing import REPO

TERRAFORM = REPO / "terraform"
RECORD_KEYS = ["dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc"]
ZONE_ID = "0123456789abcdef0123456789abcdef"


def _variables(path: Path) -> dict[str, dict[str, Any]]:
    """A module's variable blocks by name, as python-hcl2 reads them (expressions normalised)."""
    with path.open() as f:
        blocks = hcl2.load(f)["variable"]
    return {name.strip('"'): body for block in blocks for name, body in block.items()}


def _terraform(root: Path, *args: str, cli_config: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_DATA_DIR": str(root / ".terraform"),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    return subprocess.run(
        ["terraform", f"-chdir={root}", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _init(root: Path, cli_config: Path) -> None:
    proc = _terraform(root, "init", "-backend=false", "-input=false", cli_config=cli_config)
    assert proc.returncode == 0, proc.stderr


def _copy_modules(tmp_path: Path) -> Path:
    """The terraform tree in a temp dir, so init never writes into the repo's lock files."""
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform*"))
    return copy


# --- the root's re-declared types --------------------------------------------------------


@pytest.mark.parametrize(
    ("root_variable", "child", "child_variable"),
    [
        ("domains", "aws", "domains"),
        ("dns", "cloudflare", "domains"),
        ("adopt_identities", "aws", "identity_originals"),
    ],
)
def test_root_variable_has_the_child_modules_type(
    root_variable: str, child: str, child_variable: str
) -> None:
    root = _variables(TERRAFORM / "variables.tf")[root_variable]
    module = _variables(TERRAFORM / child / "variables.tf")[child_variable]
    assert root["type"] == module["type"], (
        f"terraform/variables.tf `{root_variable}` must have the type of "
        f"terraform/{child}/variables.tf `{child_variable}` (the root re-declares it):\n"
        f"root:  {root['type']}\nchild: {module['type']}"
    )


def test_root_alarm_defaults_are_the_aws_modules_defaults() -> None:
    alarms = _variables(TERRAFORM / "variables.tf")["alarms"]["type"]
    aws = _variables(TERRAFORM / "aws" / "variables.tf")
    defaults = {
        name: yaml.safe_load(value)
        for name, value in re.findall(r"(\w+) = optional\([^,]+(?:\([^)]*\))?, ([^)]+)\)", alarms)
    }
    assert defaults == {
        "bounce_rate": aws["bounce_rate_threshold"]["default"],
        "complaint_rate": aws["complaint_rate_threshold"]["default"],
        "emails": aws["alarm_emails"]["default"],
    }


def test_the_comment_sesame_knows_its_records_by_is_the_cloudflare_modules_default() -> None:
    # The root does not set `comment`, so every record sesame creates carries the default.
    assert "comment" not in re.sub(r"#.*", "", (TERRAFORM / "main.tf").read_text())
    comment = _variables(TERRAFORM / "cloudflare" / "variables.tf")["comment"]
    assert json.loads(comment["default"]) == orphans.COMMENT


# --- the cloudflare module's input checks ------------------------------------------------


def _records(domain: str, keys: list[str] = RECORD_KEYS) -> dict[str, Any]:
    return {
        k: {"name": f"{k}.{domain}", "type": "MX" if k == "mail_from_mx" else "TXT", "value": "v"}
        | ({"priority": 10} if k == "mail_from_mx" else {})
        for k in keys
    }


@pytest.fixture(scope="module")
def cloudflare_caller(
    tmp_path_factory: pytest.TempPathFactory, terraform_cli_config: Path
) -> Iterator[Path]:
    """A root module calling terraform/cloudflare with the inputs in caller.tfvars.json."""
    root = tmp_path_factory.mktemp("cloudflare-caller")
    source = os.path.relpath(TERRAFORM / "cloudflare", root)
    (root / "main.tf").write_text(
        f"""
terraform {{
  required_providers {{
    cloudflare = {{ source = "cloudflare/cloudflare" }}
  }}
}}

provider "cloudflare" {{
  api_token = "{"0" * 40}"
}}

variable "domains" {{
  type = any
}}

variable "records" {{
  type = any
}}

module "dns" {{
  source  = "{source}"
  domains = var.domains
  records = var.records
}}
"""
    )
    _init(root, terraform_cli_config)
    yield root


def _plan_cloudflare(root: Path, cli_config: Path, domains: dict, records: dict) -> Any:
    (root / "caller.tfvars.json").write_text(json.dumps({"domains": domains, "records": records}))
    return _terraform(
        root,
        "plan",
        "-input=false",
        "-lock=false",
        "-no-color",
        "-var-file=caller.tfvars.json",
        cli_config=cli_config,
    )


def _zone(*domains: str, **extra: Any) -> dict[str, Any]:
    return {d: {"zone_name": "example.com", "zone_id": ZONE_ID, **extra} for d in domains}


@pytest.mark.parametrize(
    ("domains", "records", "only_in_domains", "only_in_records"),
    [
        (["example.com"], ["news.example.com"], "example.com", "news.example.com"),
        (["example.com", "news.example.com"], ["example.com"], "news.example.com", ""),
        (["example.com"], ["example.com", "news.example.com"], "", "news.example.com"),
    ],
    ids=["different", "record-missing", "record-extra"],
)
def test_cloudflare_module_refuses_records_not_keyed_like_domains(
    cloudflare_caller: Path,
    terraform_cli_config: Path,
    domains: list[str],
    records: list[str],
    only_in_domains: str,
    only_in_records: str,
) -> None:
    proc = _plan_cloudflare(
        cloudflare_caller,
        terraform_cli_config,
        _zone(*domains),
        {d: _records(d) for d in records},
    )
    assert proc.returncode == 1
    message = " ".join(proc.stderr.split())
    assert "records and domains must have the same keys" in message, proc.stderr
    assert f"Only in domains: [{only_in_domains}]; only in records: [{only_in_records}]" in message
    assert "Invalid index" not in message


def test_cloudflare_module_refuses_a_domain_missing_a_record_key(
    cloudflare_caller: Path, terraform_cli_config: Path
) -> None:
    keys = [k for k in RECORD_KEYS if k != "dkim2"]
    proc = _plan_cloudflare(
        cloudflare_caller,
        terraform_cli_config,
        _zone("example.com"),
        {"example.com": _records("example.com", keys)},
    )
    assert proc.returncode == 1
    assert "Each domain's records are keyed dkim1, dkim2, dkim3" in " ".join(proc.stderr.split())


@pytest.mark.parametrize(
    ("manage_dmarc", "keys", "planned"),
    [(True, RECORD_KEYS, 7), (False, RECORD_KEYS[:-1], 6)],
    ids=["with-dmarc", "dmarc-left-out"],
)
def test_cloudflare_module_plans_every_record_when_keys_agree(
    cloudflare_caller: Path,
    terraform_cli_config: Path,
    manage_dmarc: bool,
    keys: list[str],
    planned: int,
) -> None:
    proc = _plan_cloudflare(
        cloudflare_caller,
        terraform_cli_config,
        _zone("example.com", manage_dmarc=manage_dmarc),
        {"example.com": _records("example.com", keys)},
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Plan: {planned} to add, 0 to change, 0 to destroy." in proc.stdout


# --- examples planned for real -----------------------------------------------------------


ROUTE53_ZONES = {"example.org": "Z0123456789ABCDEFGHIJ", "example.net": "Z0987654321ABCDEF"}
EXAMPLE_PLANS = {
    "minimal": (
        ["-var=domain=mail.example.org"],
        {
            'module.ses.aws_sesv2_email_identity.this["mail.example.org"]',
            'module.ses.aws_sesv2_configuration_set.this["mail.example.org"]',
            'module.ses.aws_iam_user.this["app-smtp"]',
            'module.ses.aws_iam_access_key.this["app-smtp"]',
        },
    ),
    "route53": (
        [f"-var=zones={json.dumps(ROUTE53_ZONES)}"],
        {
            'module.ses.aws_sesv2_email_identity.this["example.org"]',
            'module.ses.aws_sesv2_email_identity.this["example.net"]',
            'module.ses.aws_iam_user.this["example-org-api"]',
            'module.ses.aws_iam_user.this["example-net-api"]',
            *(f'aws_route53_record.this["{d}/{k}"]' for d in ROUTE53_ZONES for k in RECORD_KEYS),
        },
    ),
}


@pytest.mark.parametrize("example", sorted(EXAMPLE_PLANS))
def test_example_plans_its_domain_sender_and_records(
    example: str,
    tmp_path: Path,
    terraform_cli_config: Path,
    moto_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args, expected = EXAMPLE_PLANS[example]
    root = _copy_modules(tmp_path) / "examples" / example
    _init(root, terraform_cli_config)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "FAKEACCESSKEYEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox-not-a-secret")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    plan = _terraform(
        root,
        "plan",
        "-input=false",
        "-lock=false",
        "-no-color",
        *args,
        "-out=example.tfplan",
        cli_config=terraform_cli_config,
    )
    assert plan.returncode == 0, plan.stderr
    show = _terraform(root, "show", "-json", "example.tfplan", cli_config=terraform_cli_config)
    assert show.returncode == 0, show.stderr
    changes = {c["address"]: c["change"] for c in json.loads(show.stdout)["resource_changes"]}
    assert expected <= {a for a, c in changes.items() if c["actions"] == ["create"]}
    domain = "mail.example.org" if example == "minimal" else "example.org"
    mail_from = changes[
        f'module.ses.aws_sesv2_email_identity_mail_from_attributes.this["{domain}"]'
    ]
    assert mail_from["after"]["mail_from_domain"] == f"mail.{domain}"
    if example == "route53":  # each domain's records in its own zone
        for d, zone in ROUTE53_ZONES.items():
            mx = changes[f'aws_route53_record.this["{d}/mail_from_mx"]']["after"]
            assert mx["records"] == ["10 feedback-smtp.eu-west-1.amazonses.com"]
            assert (mx["name"], mx["zone_id"]) == (f"mail.{d}", zone)


# --- pre-commit ----------------------------------------------------------------------------


def test_pre_commit_config_is_valid_and_runs_the_dev_extras_ruff() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"] for repo in config["repos"] for h in repo["hooks"]}
    assert {"terraform-fmt", "terraform-docs", "terraform-validate", "tflint"} <= hooks
    assert {"ruff-check", "ruff-format"} <= hooks
    ruff_rev = next(r["rev"] for r in config["repos"] if r["repo"].endswith("/ruff-pre-commit"))
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert f"ruff=={ruff_rev.removeprefix('v')}" in dev["dev"]


# --- generated module docs ---------------------------------------------------------------


def test_make_docs_regenerates_stale_module_tables(tmp_path: Path) -> None:
    """`make docs` (as the README says) on a copy whose READMEs lost their tables."""
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy(REPO / "Makefile", copy)
    shutil.copy(REPO / ".terraform-docs.yml", copy)
    _copy_modules(copy)
    readmes = ["README.md", "aws/README.md", "cloudflare/README.md"]
    for name in readmes:
        path = copy / "terraform" / name
        text = path.read_text()
        begin, end = text.index("<!-- BEGIN_TF_DOCS -->"), text.index("<!-- END_TF_DOCS -->")
        path.write_text(text[:begin] + "<!-- BEGIN_TF_DOCS -->\n" + text[end:])
    proc = subprocess.run(
        ["make", "docs", f"BIN={REPO / '.venv' / 'bin'}"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in readmes:
        assert (copy / "terraform" / name).read_text() == (TERRAFORM / name).read_text(), name
