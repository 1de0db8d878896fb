"""The sandbox: moto (IAM, STS, SNS, CloudWatch, S3 as R2) and sesame's SES v2 emulator.

Started on loopback ports for one command and stopped after it. Between commands the
emulated world is saved, age-encrypted with the throwaway sandbox key, in the work dir,
so a second `make plan` sees what the first `make apply` made.
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import random
import socket
from pathlib import Path
from typing import Any

import boto3
import pyrage
from botocore.config import Config as BotoConfig
from moto.backends import get_backend
from moto.moto_api._internal.models import moto_api_backend
from moto.server import ThreadedMotoServer

from sesame import output, secrets
from sesame.config import Config
from sesame.sandbox.calls import CallLog, Recording, query_protocol
from sesame.sandbox.cloudflare import CloudflareBackend
from sesame.sandbox.cloudflare import create_app as create_cloudflare_app
from sesame.sandbox.dns import DnsServer
from sesame.sandbox.r2 import R2Gate
from sesame.sandbox.server import ServerThread
from sesame.sandbox.sesv2 import SesV2Backend, create_app
from sesame.sandbox.sesv2.routes import operation_for
from sesame.sandbox.smtp import SmtpServer
from sesame.target import Target

HERE = Path(__file__).resolve().parent
KEY_FILE = HERE / "throwaway-age-key.txt"
SECRETS_FILE = HERE / "secrets.yaml"
MOTO_SERVICES = ("iam", "sts", "sns", "cloudwatch", "s3")
ACCOUNT_ID = "123456789012"  # moto's default account
# Records a zone owner already had: every sandbox run exercises the SPF merge and the
# promise to leave neighbours alone (seeded into the first zone the sandbox creates).
PRE_EXISTING = (
    {
        "type": "TXT",
        "content": '"v=spf1 include:_spf.google.com ~all"',
        "comment": "Google Workspace",
    },
    {"type": "A", "content": "192.0.2.10", "comment": "website"},
)
ROLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _pem_text(pem: str | bytes) -> str:
    return pem.decode() if isinstance(pem, bytes) else pem


def age_identity() -> pyrage.x25519.Identity:
    line = next(ln for ln in KEY_FILE.read_text().splitlines() if ln.startswith("AGE-SECRET-KEY"))
    return pyrage.x25519.Identity.from_str(line)


def _port_free(port: int) -> bool:
    """Free for a server: like the servers, ignore a previous run's TIME_WAIT connections."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ephemeral_low() -> int:
    with contextlib.suppress(OSError, ValueError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768


def _free_port() -> int:
    """A free port below the kernel's ephemeral range: an outgoing connection (terraform,
    a provider) can take an ephemeral port between our choosing it and a server binding
    it (seen in CI: "Address already in use"); it never takes one outside that range."""
    low = _ephemeral_low()
    candidates = range(max(1024, low - 12000), low)
    for _ in range(200):
        port = random.choice(candidates)
        if _port_free(port):
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sandbox:
    """Context manager: start the stand-ins, restore the saved world, save it on exit."""

    def __init__(self, workdir: Path, config: Config) -> None:
        self.workdir = workdir
        self.config = config
        self.world_file = workdir / "sandbox-world.age"
        self.ports_file = workdir / "sandbox-ports.json"
        self.ses = SesV2Backend(account_id=ACCOUNT_ID)
        self._moto: ThreadedMotoServer | None = None
        self._ses_server: ServerThread | None = None
        self._cf_server: ServerThread | None = None
        self._dns: DnsServer | None = None
        self._r2: ServerThread | None = None
        self.calls = CallLog()  # AWS API calls made during this command (admin-policy check)
        self._smtp: SmtpServer | None = None
        output.step("sandbox: decrypting its throwaway secrets (sops) ...")
        self.secrets = secrets.load(SECRETS_FILE, self.age_key)
        self.cloudflare = CloudflareBackend(
            tokens={self.secrets.get("CLOUDFLARE_API_TOKEN"): self.cf_account}
        )

    @property
    def cf_account(self) -> str:
        return self.secrets.get("CLOUDFLARE_ACCOUNT_ID")

    @property
    def age_key(self) -> str:
        return KEY_FILE.read_text()

    # -- ports: stable across runs when free, so terraform init is not re-run each time --

    def _ports(self) -> dict[str, int]:
        saved: dict[str, int] = {}
        with contextlib.suppress(FileNotFoundError, ValueError):
            saved = json.loads(self.ports_file.read_text())
        ports = {}
        for name in ("moto", "r2", "sesv2", "cloudflare", "dns", "smtp"):
            port = saved.get(name)
            ports[name] = port if port and _port_free(port) else _free_port()
        self.ports_file.write_text(json.dumps(ports))
        return ports

    # -- world snapshot ---------------------------------------------------------------

    def _restore(self) -> None:
        moto_api_backend.reset()
        if not self.world_file.exists():
            return
        data = pickle.loads(pyrage.decrypt(self.world_file.read_bytes(), [age_identity()]))
        for (service, account, region), state in data["moto"].items():
            get_backend(service)[account][region].__dict__.update(state)
        self.ses = data["sesv2"]
        self.cloudflare = data["cloudflare"]

    def _save(self) -> None:
        moto_state: dict[tuple[str, str, str], Any] = {}
        for service in MOTO_SERVICES:
            for account, region, backend in get_backend(service).iter_backends():
                moto_state[(service, account, region)] = backend.__dict__
        hooks = (self.ses.dkim_status_resolver, self.ses.mail_from_status_resolver)
        self.ses.dkim_status_resolver = self.ses.mail_from_status_resolver = None
        try:
            world = {"moto": moto_state, "sesv2": self.ses, "cloudflare": self.cloudflare}
            blob = pickle.dumps(world)
        finally:
            self.ses.dkim_status_resolver, self.ses.mail_from_status_resolver = hooks
        recipient = age_identity().to_public()
        tmp = self.world_file.with_suffix(".tmp")
        tmp.write_bytes(pyrage.encrypt(blob, [recipient]))
        tmp.replace(self.world_file)

    # -- lifecycle --------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        # Request logs from the stand-ins' libraries are noise (aiosmtpd warns about its own
        # deprecated login_data on every AUTH).
        for name in ("werkzeug", "mail.log"):
            logging.getLogger(name).setLevel(logging.ERROR)
        ports = self._ports()
        output.step("sandbox: restoring the world the last command left ...")
        self._restore()
        output.step(f"sandbox: moto (IAM, STS, SNS, CloudWatch, S3) on port {ports['moto']} ...")
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=ports["moto"], verbose=False)
        self._moto.start()
        self._moto._server.app = Recording(self._moto._server.app, self.calls, query_protocol)
        output.step(
            f"sandbox: SES v2 on port {ports['sesv2']}, R2 on {ports['r2']}, Cloudflare on "
            f"{ports['cloudflare']}, DNS on {ports['dns']}, SMTP on {ports['smtp']} ..."
        )
        ses_app = Recording(create_app(self.ses), self.calls, self._ses_operation)
        self._ses_server = ServerThread(ses_app, port=ports["sesv2"]).start()
        gate = R2Gate(self.moto_url, self.secrets.get("R2_ACCESS_KEY_ID"))
        self._r2 = ServerThread(gate, port=ports["r2"]).start()
        self._cf_server = ServerThread(
            create_cloudflare_app(self.cloudflare), port=ports["cloudflare"]
        ).start()
        self._dns = DnsServer(self.cloudflare, port=ports["dns"]).start()
        self.ses.dkim_status_resolver = self._dkim_status
        self.ses.mail_from_status_resolver = self._mail_from_status
        self._smtp = SmtpServer(
            self.ses, self.config.region, ACCOUNT_ID, port=ports["smtp"], cert_dir=self.workdir
        ).start()
        output.step("sandbox: seeding the state bucket, sender roles and zones ...")
        self._seed()
        self.calls.clear()  # seeding is the sandbox's doing, not the operator's
        return self

    @staticmethod
    def _ses_operation(environ: dict[str, Any], body: bytes) -> tuple[str, str] | None:
        op = operation_for(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
        return ("ses", op) if op else None

    # -- SES follows DNS, as SES does ---------------------------------------------------

    def _dkim_status(self, account: str, region: str, identity: Any) -> str:
        """PENDING until the three CNAMEs resolve; losing one after SUCCESS: TEMPORARY_FAILURE."""
        if identity.identity_type != "DOMAIN" or not identity.dkim_tokens:
            return "SUCCESS"
        assert self._dns is not None
        host = self.ses.signing_hosted_zone(region)  # where SES itself looks
        published = all(
            self._dns.resolve(f"{t}._domainkey.{identity.name}", "CNAME")
            in ([f"{t}.{host}."], [f"{t}.{host}"])
            for t in identity.dkim_tokens
        )
        if published:
            identity.sandbox_verified = True
            return "SUCCESS"
        return "TEMPORARY_FAILURE" if getattr(identity, "sandbox_verified", False) else "PENDING"

    def _mail_from_status(self, account: str, region: str, identity: Any) -> str:
        """SES needs exactly one MX on the MAIL FROM domain."""
        if not identity.mail_from_domain:
            return "FAILED"
        assert self._dns is not None
        mx = self._dns.resolve(identity.mail_from_domain, "MX")
        if len(mx) == 1:
            identity.sandbox_mail_from_ok = True
            return "SUCCESS"
        if len(mx) > 1:
            return "FAILED"
        return (
            "TEMPORARY_FAILURE" if getattr(identity, "sandbox_mail_from_ok", False) else "PENDING"
        )

    def __exit__(self, *exc: object) -> None:
        try:
            self._save()
            with (self.workdir / "sandbox-calls.jsonl").open("a") as log:
                for service, action in self.calls.calls():
                    log.write(json.dumps([service, action]) + "\n")
        finally:
            if self._ses_server:
                self._ses_server.stop()
            if self._cf_server:
                self._cf_server.stop()
            if self._dns:
                self._dns.stop()
            if self._r2:
                self._r2.stop()
            if self._smtp:
                self._smtp.stop()
            if self._moto:
                self._moto.stop()

    @property
    def moto_url(self) -> str:
        assert self._moto is not None
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    def client(self, service: str, region: str | None = None, **kw: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name=region or self.config.region,
            aws_access_key_id=self.secrets.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=self.secrets.get("AWS_SECRET_ACCESS_KEY"),
            **kw,
        )

    def _seed(self) -> None:
        """Create what the configuration presumes exists: the state bucket, sender roles."""
        # R2 buckets have no location; us-east-1 is S3's location-less region.
        s3 = self.client(
            "s3", region="us-east-1", config=BotoConfig(s3={"addressing_style": "path"})
        )
        bucket = self.config.backend.bucket
        if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
            s3.create_bucket(Bucket=bucket)
        iam = self.client("iam")
        for _, sender in self.config.senders().values():
            if sender.role:
                with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
                    iam.create_role(
                        RoleName=sender.role, AssumeRolePolicyDocument=json.dumps(ROLE_TRUST)
                    )
        self._seed_zones()

    def _seed_zones(self) -> None:
        for domain in self.config.cloudflare_domains():
            name = self.config.zone_of(domain)
            if self.cloudflare.zone_by_name(name) is not None:
                continue
            first = not self.cloudflare.zones(self.cf_account)
            zone = self.cloudflare.create_zone(self.cf_account, name)
            if first:
                for record in PRE_EXISTING:
                    body = {"name": name, "ttl": 3600, "proxied": False, **record}
                    self.cloudflare.create_dns_record(self.cf_account, zone["id"], body)

    @property
    def cloudflare_url(self) -> str:
        assert self._cf_server is not None
        return f"{self._cf_server.url}/client/v4"

    def target(self, top: Path) -> Target:
        assert self._ses_server is not None
        aws = {svc: self.moto_url for svc in ("cloudwatch", "iam", "sns", "sts")}
        aws["sesv2"] = self._ses_server.url
        return Target(
            name="sandbox",
            top=top,
            workdir=self.workdir,
            secrets=self.secrets,
            s3_endpoint=self._r2.url if self._r2 else self.moto_url,
            aws_endpoints=aws,
            credentials_path=self.workdir / "credentials.yaml",
            credentials_recipients=[str(age_identity().to_public())],
            age_key=self.age_key,
            cloudflare_base_url=self.cloudflare_url,
            dns_nameserver=(self._dns.host, self._dns.port) if self._dns else None,
            smtp_endpoint=("127.0.0.1", self._smtp.port) if self._smtp else None,
            smtp_ca_pem=_pem_text(self._smtp.ca_pem) if self._smtp else None,
        )
