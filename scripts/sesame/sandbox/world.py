"""The sandbox: moto (IAM, STS, SNS, CloudWatch, S3 as R2), sesame's SES v2 and Cloudflare
emulators, a DNS server and an SMTP endpoint, started on loopback for one command and
stopped after it. The parts: `ports` (where), `snapshot` (the world between commands),
`hooks` (SES follows DNS), `seed` (what the configuration presumes exists), `keys`.

Least privilege is enforced, not assumed: Terraform and sesame's commands run as the IAM
user `sesame-operator`, holding exactly `sesame admin-policy` (or the policy file
SESAME_SANDBOX_OPERATOR_POLICY names), and plan-only runs as `sesame-plan`, holding exactly
`sesame admin-policy --read-only`. moto's services sit behind iam_gate.py and the SES v2
emulator checks every operation (sesv2/access.py), so a call the policy does not allow is
refused with AccessDenied, as AWS refuses it. The committed secrets' AWS key is the
account's root: only the sandbox itself (seeding) uses it.
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

from sesame import output, secrets
from sesame.checks import admin_policy
from sesame.config import Config
from sesame.errors import ConfigError
from sesame.sandbox import hooks, ports, seed, snapshot
from sesame.sandbox.authorization import MOTO_LOCK, Enforcement
from sesame.sandbox.calls import CallLog, Recording, query_protocol
from sesame.sandbox.cloudflare import ratelimit as cloudflare_ratelimit
from sesame.sandbox.cloudflare.models import CloudflareBackend
from sesame.sandbox.cloudflare.routes import create_app as create_cloudflare_app
from sesame.sandbox.dns import DnsServer
from sesame.sandbox.iam_gate import IamGate
from sesame.sandbox.keys import SECRETS_FILE, age_identity, age_key
from sesame.sandbox.r2 import R2Gate
from sesame.sandbox.server import (
    OneAtATime,
    RetryReplay,
    ServerThread,
    aws_sdk_call,
    stainless_call,
)
from sesame.sandbox.sesv2.models import SesV2Backend
from sesame.sandbox.sesv2.routes import create_app, operation_for
from sesame.sandbox.sesv2.throttle import SETTING as SES_RATES
from sesame.sandbox.sesv2.throttle import Throttle, parse_rates
from sesame.sandbox.smtp.server import SmtpServer
from sesame.target import Target

ACCOUNT_ID = "123456789012"  # moto's default account
# A JSON policy document the operator holds instead of `sesame admin-policy`'s: rehearse
# an apply with the exact policy you mean to grant (and the tests' one-action-less policies).
OPERATOR_POLICY = "SESAME_SANDBOX_OPERATOR_POLICY"


def _pem_text(pem: str | bytes) -> str:
    return pem.decode() if isinstance(pem, bytes) else pem


def ses_throttle() -> Throttle | None:
    """SES v2 rate limits from SESAME_SANDBOX_SES_RATES (e.g. `read=5,write=1`); none if
    unset, so the sandbox answers at once unless a test or bench asks for AWS's quotas."""
    setting = os.environ.get(SES_RATES, "")
    try:
        rates = parse_rates(setting)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Throttle(rates) if rates else None


def cloudflare_limit() -> cloudflare_ratelimit.Limit | None:
    """Cloudflare's global API limit from SESAME_SANDBOX_CLOUDFLARE_LIMIT: Cloudflare's own
    1,200 per 5 minutes unless set (`requests/seconds`, or `off`)."""
    try:
        return cloudflare_ratelimit.parse_limit(os.environ.get(cloudflare_ratelimit.SETTING, ""))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def operator_policy(config: Config) -> dict[str, Any]:
    """The operator's policy: SESAME_SANDBOX_OPERATOR_POLICY's file, else `sesame admin-policy`."""
    path = os.environ.get(OPERATOR_POLICY, "")
    if not path:
        return admin_policy.policy(config, ACCOUNT_ID)
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{OPERATOR_POLICY}={path}: not a readable JSON policy document ({exc}); fix: point "
            "it at a file like `sesame admin-policy` prints, or unset it"
        ) from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise ConfigError(
            f"{OPERATOR_POLICY}={path}: has no Statement; fix: point it at a file like "
            "`sesame admin-policy` prints, or unset it"
        )
    size, quota = admin_policy.size(document), admin_policy.MANAGED_POLICY_SIZE
    if size > quota:  # the gate would refuse it as IAM does (LimitExceeded)
        raise ConfigError(
            f"{OPERATOR_POLICY}={path}: the policy is {size:,} characters, over IAM's {quota:,} "
            "for a managed policy (white space not counted); fix: a smaller policy, or unset it"
        )
    return document


class Sandbox:
    """Context manager: start the stand-ins, restore the saved world, save it on exit."""

    def __init__(self, workdir: Path, config: Config) -> None:
        self.workdir = workdir
        self.config = config
        self.world_file = workdir / "sandbox-world.age"
        self.ports_file = workdir / "sandbox-ports.json"
        self.ses = SesV2Backend(account_id=ACCOUNT_ID)
        self._moto: ServerThread | None = None
        self._ses_server: ServerThread | None = None
        self._cf_server: ServerThread | None = None
        self._dns: DnsServer | None = None
        self._r2: ServerThread | None = None
        self.calls = CallLog()  # AWS API calls made during this command (admin-policy check)
        self.ses_throttle = ses_throttle()
        self.cloudflare_limit = cloudflare_limit()
        self._smtp: SmtpServer | None = None
        output.step("sandbox: decrypting its throwaway secrets (sops) ...")
        self.secrets = secrets.load(SECRETS_FILE, self.age_key)
        self.cloudflare = CloudflareBackend(
            tokens={self.secrets.get("CLOUDFLARE_API_TOKEN"): self.cf_account}
        )
        self.enforcement = Enforcement(ACCOUNT_ID, self.secrets.get("AWS_ACCESS_KEY_ID"))
        self.operator_policy = operator_policy(config)
        self.policy_given = bool(os.environ.get(OPERATOR_POLICY))
        # (access key ID, secret) of the operator and of the plan-only user (seeded on enter)
        self.principals: dict[str, tuple[str, str]] = {}

    @property
    def cf_account(self) -> str:
        return self.secrets.get("CLOUDFLARE_ACCOUNT_ID")

    @property
    def age_key(self) -> str:
        return age_key()

    def __enter__(self) -> Sandbox:
        # Request logs from the stand-ins' libraries are noise (aiosmtpd warns about its own
        # deprecated login_data on every AUTH).
        for name in ("werkzeug", "mail.log"):
            logging.getLogger(name).setLevel(logging.ERROR)
        chosen = ports.choose(self.ports_file)
        output.step("sandbox: restoring the world the last command left ...")
        restored = snapshot.restore(self.world_file)
        if restored:
            self.ses, self.cloudflare = restored
        self.cloudflare.limit = self.cloudflare_limit
        try:
            self._start_servers(chosen)
        except BaseException:
            self._stop_servers()
            raise
        ports.save(self.ports_file, chosen)
        output.step("sandbox: seeding the state bucket, sender roles and zones ...")
        self._seed()
        self.calls.clear()  # seeding is the sandbox's doing, not the operator's
        return self

    def _start_servers(self, chosen: dict[str, int]) -> None:
        """Each stand-in on its chosen port, or a new one when another program took it
        (`ports.serve` records the port it ran on in `chosen`)."""
        # moto's own app and request handler (ThreadedMotoServer's), in sesame's server thread:
        # ThreadedMotoServer polls for shutdown every 0.5 s, so each command's stop waited
        # ~0.4 s for it (measured); ServerThread polls every 0.05 s.
        moto_app = Recording(
            RetryReplay(
                OneAtATime(
                    IamGate(DomainDispatcherApplication(create_backend_app), self.enforcement),
                    MOTO_LOCK,
                ),
                aws_sdk_call,
            ),
            self.calls,
            query_protocol,
        )
        self._moto = ports.serve(
            "moto",
            chosen,
            lambda port: ServerThread(
                moto_app, port=port, request_handler=MotoRequestHandler, name="moto"
            ).start(),
        )
        output.step(f"sandbox: moto (IAM, STS, SNS, CloudWatch, S3) on port {chosen['moto']} ...")
        ses_app = Recording(
            RetryReplay(create_app(self.ses, self.ses_throttle, self.enforcement), aws_sdk_call),
            self.calls,
            self._ses_operation,
        )
        self._ses_server = ports.serve(
            "sesv2", chosen, lambda port: ServerThread(ses_app, port=port, name="sesv2").start()
        )
        gate = R2Gate(self.moto_url, self.secrets.get("R2_ACCESS_KEY_ID"))
        self._r2 = ports.serve(
            "r2", chosen, lambda port: ServerThread(gate, port=port, name="r2").start()
        )
        cloudflare_app = RetryReplay(create_cloudflare_app(self.cloudflare), stainless_call)
        self._cf_server = ports.serve(
            "cloudflare",
            chosen,
            lambda port: ServerThread(cloudflare_app, port=port, name="cloudflare").start(),
        )
        self._dns = ports.serve(
            "dns", chosen, lambda port: DnsServer(self.cloudflare, port=port).start()
        )
        hooks.follow_dns(self.ses, self._dns.resolve)
        self._smtp = ports.serve(
            "smtp",
            chosen,
            lambda port: SmtpServer(
                self.ses, self.config.region, ACCOUNT_ID, port=port, cert_dir=self.workdir
            ).start(),
        )
        output.step(
            f"sandbox: SES v2 on port {chosen['sesv2']}, R2 on {chosen['r2']}, Cloudflare on "
            f"{chosen['cloudflare']}, DNS on {chosen['dns']}, SMTP on {chosen['smtp']} ..."
        )

    def _stop_servers(self) -> None:
        servers = (self._ses_server, self._cf_server, self._dns, self._r2, self._smtp)
        # All at once: each stop waits for its server's poll (moto's is 0.5 s), so one
        # after the other they cost ~1 s per command (bench/sandbox_phases.py).
        running = [s for s in (*servers, self._moto) if s]
        if not running:
            return
        with ThreadPoolExecutor(max_workers=len(running)) as pool:
            for stopped in [pool.submit(s.stop) for s in running]:
                stopped.result()

    @staticmethod
    def _ses_operation(environ: dict[str, Any], body: bytes) -> tuple[str, str] | None:
        op = operation_for(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
        return ("ses", op) if op else None

    def __exit__(self, *exc: object) -> None:
        try:
            snapshot.save(self.world_file, self.ses, self.cloudflare)
            with (self.workdir / "sandbox-calls.jsonl").open("a") as log:
                for service, action in self.calls.calls():
                    log.write(json.dumps([service, action]) + "\n")
        finally:
            self._stop_servers()

    @property
    def moto_url(self) -> str:
        assert self._moto is not None
        return self._moto.url

    def client(self, service: str, region: str | None = None, **kw: Any) -> Any:
        """A client with the sandbox's root key (unlimited: seeding, "made by hand" in tests)."""
        ses = self._ses_server if service == "sesv2" else None
        return boto3.client(
            service,
            endpoint_url=ses.url if ses else self.moto_url,
            region_name=region or self.config.region,
            aws_access_key_id=self.secrets.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=self.secrets.get("AWS_SECRET_ACCESS_KEY"),
            **kw,
        )

    def _seed(self) -> None:
        # R2 buckets have no location; us-east-1 is S3's location-less region.
        s3 = self.client(
            "s3", region="us-east-1", config=BotoConfig(s3={"addressing_style": "path"})
        )
        seed.state_bucket(s3, self.config.backend.bucket)
        iam = self.client("iam")
        seed.roles(iam, self.config)
        seed.zones(self.config, self.cloudflare, self.cf_account)
        seed.r2_token(
            self.config,
            self.cloudflare,
            self.secrets.get("R2_ACCESS_KEY_ID"),
            self.secrets.get("CLOUDFLARE_API_TOKEN"),
        )
        self.principals = {
            # A policy given in SESAME_SANDBOX_OPERATOR_POLICY is held exactly; sesame's own
            # grows by what the previous command's covered (a removed domain's resources
            # until its removal is applied: seed.widened).
            seed.OPERATOR: seed.principal(
                iam, seed.OPERATOR, self.operator_policy, keep_previous=not self.policy_given
            ),
            seed.PLANNER: seed.principal(
                iam,
                seed.PLANNER,
                admin_policy.read_only_policy(self.config, ACCOUNT_ID),
                keep_previous=True,
            ),
        }

    @property
    def cloudflare_url(self) -> str:
        assert self._cf_server is not None
        return f"{self._cf_server.url}/client/v4"

    def principal_secrets(self, read_only: bool) -> secrets.Secrets:
        """The committed secrets with the AWS key of the principal a command runs as."""
        key_id, secret = self.principals[seed.PLANNER if read_only else seed.OPERATOR]
        values = {**self.secrets.values, "AWS_ACCESS_KEY_ID": key_id}
        values["AWS_SECRET_ACCESS_KEY"] = secret
        return secrets.Secrets(values=values)

    def target(self, top: Path, *, read_only: bool = False) -> Target:
        """`read_only`: as the plan-only user (`sesame plan --read-only`), else the operator."""
        assert self._ses_server is not None
        aws = {
            svc: self.moto_url
            for svc in ("cloudwatch", "iam", "secretsmanager", "sns", "ssm", "sts")
        }
        aws["sesv2"] = self._ses_server.url
        return Target(
            name="sandbox",
            top=top,
            workdir=self.workdir,
            secrets=self.principal_secrets(read_only),
            s3_endpoint=self._r2.url if self._r2 else self.moto_url,
            aws_endpoints=aws,
            credentials_path=self.workdir / "credentials.yaml",
            credentials_recipients=[str(age_identity().to_public())],
            age_key=self.age_key,
            cloudflare_base_url=self.cloudflare_url,
            dns_nameserver=(self._dns.host, self._dns.port) if self._dns else None,
            smtp_endpoint=("127.0.0.1", self._smtp.port) if self._smtp else None,
            smtp_ca_pem=_pem_text(self._smtp.ca_pem) if self._smtp else None,
            # Throttled, the provider retries as against AWS; else 3 attempts keep injected
            # faults quick.
            aws_max_retries=None if self.ses_throttle else 3,
            ses_write_rate=self.ses_throttle.write_rate() if self.ses_throttle else None,
            read_only=read_only,
        )
