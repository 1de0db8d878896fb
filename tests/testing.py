"""Helpers for the tests: the real `sesame` CLI on a configuration in a temp dir."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import smtplib
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
PROGRESS_LINE = re.compile(r"^\[ *\d+\.\ds\] ")  # `[  9.8s] what sesame is doing`

# A stand-in for terraform under Ctrl-C (`python -c STAND_IN_TERRAFORM`): starts a
# "provider" (a grandchild in its process group) and prints `provider <pid>`; on each
# SIGINT it says so, takes a moment to save, and exits 1, leaving the provider behind
# (a second SIGINT would print "stopping gracefully" twice).
STAND_IN_TERRAFORM = """
import signal, subprocess, sys, time
provider = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
def stop(*_):
    print("stopping gracefully", flush=True)
    time.sleep(0.5)
    print("state saved", flush=True)
    sys.exit(1)
signal.signal(signal.SIGINT, stop)
print("provider", provider.pid, flush=True)
time.sleep(300)
"""


def error_lines(stderr: str) -> list[str]:
    """What a command said besides its progress lines (an error is exactly one line)."""
    return [ln for ln in stderr.strip().splitlines() if not PROGRESS_LINE.match(ln)]


def domain(name: str, senders: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {name: {"senders": senders or {}, **extra}}


def make_config(domains: dict[str, Any], region: str = "eu-west-1", **extra: Any) -> dict:
    return {
        "region": region,
        "backend": {
            "account_id": "0123456789abcdef0123456789abcdef",
            "bucket": "sesame-test-state",
            "key": "sesame/terraform.tfstate",
        },
        "domains": domains,
        **extra,
    }


def account_users(sandbox: Any) -> list[str]:
    """The sandbox account's IAM user names, without the two users the sandbox runs sesame
    as (path /sesame/: sesame-operator, sesame-plan)."""
    users = sandbox.client("iam").list_users()["Users"]
    return [u["UserName"] for u in users if u["Path"] != "/sesame/"]


def example_config() -> dict:
    """The shipped sesame.yaml: two domains, one sender of each kind."""
    return yaml.safe_load((REPO / "sesame.yaml").read_text())


# A well-formed Cloudflare account ID that is not the shipped placeholder (production
# refuses that one before anything else).
PRODUCTION_ACCOUNT_ID = "3f2a1b4c5d6e7f8091a2b3c4d5e6f708"


def production_config() -> dict:
    """The shipped sesame.yaml with a real-looking backend.account_id."""
    config = example_config()
    config["backend"]["account_id"] = PRODUCTION_ACCOUNT_ID
    return config


class Sesame:
    """The real CLI in a subprocess, against a config in its own directory."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.outputs: list[str] = []

    def write(self, config: dict | str) -> Path:
        path = self.top / "sesame.yaml"
        path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
        return path

    def __call__(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "sesame", *args],
            cwd=self.top,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.outputs += [proc.stdout, proc.stderr]
        return proc

    def ok(self, *args: str, **kw: Any) -> subprocess.CompletedProcess:
        proc = self(*args, **kw)
        assert proc.returncode == 0, f"sesame {' '.join(args)}: rc {proc.returncode}\n{proc.stderr}"
        return proc


def applied_sandbox(config: dict, top: Path) -> Iterator[Sesame]:
    """A module fixture's body: `config` applied in the sandbox at `top`. Nothing to destroy
    after: the world lives in `top`, which pytest removes (destroy is proven on its own)."""
    sesame = Sesame(top)
    sesame.write(config)
    sesame.ok("apply")
    yield sesame


def open_sandbox(top: Path, config: dict) -> Any:
    """The sandbox world of the project at `top` (a context manager: servers up inside)."""
    from sesame.config import Config
    from sesame.sandbox import world
    from sesame.target import workdir_for

    return world.Sandbox(workdir_for(top, "sandbox"), Config.model_validate(config))


@contextmanager
def sandbox_smtp(top: Path, config: dict) -> Iterator[smtplib.SMTP]:
    """The sandbox's SMTP endpoint after STARTTLS (its CA verified), as an app connects."""
    from sesame.checks.verify import smtp_context

    with open_sandbox(top, config) as sb:
        target = sb.target(top)
        assert target.smtp_endpoint is not None
        with smtplib.SMTP(*target.smtp_endpoint, timeout=15) as smtp:
            smtp.starttls(context=smtp_context(target))
            yield smtp


# Gated stand-in tests (IAM, SES access): the account the gate enforces (moto's default),
# the Region, and the access key that acts as the account's root.
ACCOUNT = "123456789012"
REGION = "eu-west-1"
ROOT_KEY = "FAKEROOTKEYEXAMPLE"


def allow(actions: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    """One IAM policy statement allowing `actions` on `resource`."""
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def policy_document(*statements: dict[str, Any]) -> dict[str, Any]:
    """An IAM policy document (version 2012-10-17) of `statements`."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def refusal(exc: Any) -> tuple[str, int, str]:
    """A pytest.raises(ClientError) result's (error code, HTTP status, message)."""
    got = exc.value.response
    return got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"], got["Error"]["Message"]


def not_authorized(principal: str, action: str, resource: str) -> str:
    """AWS's message when no identity-based policy allows `action` (IAM User Guide,
    "Access denied error message examples")."""
    return (
        f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


# A reputation alarm of the kind sesame's aws module makes (terraform/aws/main.tf).
BOUNCE_ALARM = {
    "MetricName": "Reputation.BounceRate",
    "Namespace": "AWS/SES",
    "Statistic": "Average",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 0.05,
    "ComparisonOperator": "GreaterThanThreshold",
}


def signed_client(url: str, service: str, key: str, secret: str, region: str) -> Any:
    """A boto3 client signing as the key pair (`key`, `secret`) at `url`, with no retries:
    a refusal is the first answer."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def moto_client(moto_url: str, service: str, region: str) -> Any:
    """A boto3 client on the test's moto server (moto's default account)."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=moto_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


CLOSED = "http://127.0.0.1:9"  # discard port: nothing listens
# Production-shaped secrets for tests that never reach a cloud (offline, README runs).
FAKE_SECRETS = {
    "R2_ACCESS_KEY_ID": "5f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "R2_SECRET_ACCESS_KEY": "9" * 64,
    "AWS_ACCESS_KEY_ID": "FAKEACCESSKEYEXAMPLE",  # not shaped like a real key (AKIA…)
    "AWS_SECRET_ACCESS_KEY": "z" * 40,
    "CLOUDFLARE_API_TOKEN": "c" * 40,
    "CLOUDFLARE_ACCOUNT_ID": "d" * 32,
}


# What a command leaves in its work dir that belongs to that run alone: the stand-ins' ports
# (a copy picks its own, so copies on other workers never race for them) and the run lock.
# conftest's applied_copy fixture: (name, config) -> a Sesame in a copy of that applied world
AppliedCopy = Callable[[str, dict], Sesame]

RUN_ONLY = ("sandbox-ports.json", "sesame.lock")


def copy_world(src: Path, dest: Path) -> None:
    """Copy an applied sandbox checkout (config, .sesame/: saved world, state in its R2
    bucket, credentials, terraform data dir) so `dest` carries on where `src` stopped.
    Terraform re-inits in the copy (its backend file names the copy's own work dir)."""
    shutil.copytree(
        src, dest, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*RUN_ONLY)
    )


def built_once(where: Path, build: Callable[[Path], None]) -> Path:
    """`where`, made by `build(where)` by the first process to get here; the others (pytest-xdist
    workers) wait for it, then share it. A failed build is retried by the next caller."""
    where.parent.mkdir(parents=True, exist_ok=True)
    done = where.with_name(where.name + ".done")
    with open(where.with_name(where.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(where, ignore_errors=True)
            where.mkdir()
            build(where)
            done.touch()
    return where
