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
import socket
from pathlib import Path
from typing import Any

import boto3
import pyrage
from botocore.config import Config as BotoConfig
from moto.backends import get_backend
from moto.moto_api._internal.models import moto_api_backend
from moto.server import ThreadedMotoServer

from sesame import secrets
from sesame.config import Config
from sesame.sandbox.cloudflare import CloudflareBackend
from sesame.sandbox.cloudflare import create_app as create_cloudflare_app
from sesame.sandbox.server import ServerThread
from sesame.sandbox.sesv2 import SesV2Backend, create_app
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


def age_identity() -> pyrage.x25519.Identity:
    line = next(ln for ln in KEY_FILE.read_text().splitlines() if ln.startswith("AGE-SECRET-KEY"))
    return pyrage.x25519.Identity.from_str(line)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
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
        for name in ("moto", "sesv2", "cloudflare"):
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
        blob = pickle.dumps({"moto": moto_state, "sesv2": self.ses, "cloudflare": self.cloudflare})
        recipient = age_identity().to_public()
        tmp = self.world_file.with_suffix(".tmp")
        tmp.write_bytes(pyrage.encrypt(blob, [recipient]))
        tmp.replace(self.world_file)

    # -- lifecycle --------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        ports = self._ports()
        self._restore()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=ports["moto"], verbose=False)
        self._moto.start()
        self._ses_server = ServerThread(create_app(self.ses), port=ports["sesv2"]).start()
        self._cf_server = ServerThread(
            create_cloudflare_app(self.cloudflare), port=ports["cloudflare"]
        ).start()
        self._seed()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._save()
        finally:
            if self._ses_server:
                self._ses_server.stop()
            if self._cf_server:
                self._cf_server.stop()
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
            s3_endpoint=self.moto_url,
            aws_endpoints=aws,
            credentials_path=self.workdir / "credentials.yaml",
            credentials_recipients=[str(age_identity().to_public())],
            age_key=self.age_key,
            cloudflare_base_url=self.cloudflare_url,
        )
