"""The spine end to end: real terraform, real providers, real sops, moto + SES v2 emulator."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from sesame import names, secrets
from sesame.config import Config
from sesame.dns.txt import unquote
from sesame.environments import open_target
from sesame.sandbox import keys, world
from sesame.smtp import smtp_password_v4
from sesame.target import workdir_for
from sesame.tf import runner, state
from testing import Sesame, domain, example_config, make_config

THREE = make_config(
    {
        **domain("a.example", {"a-smtp": {"kind": "smtp", "from": ["*@a.example"]}}),
        **domain("b.example", {"b-api": {"kind": "api", "from": ["app@b.example"]}}),
        **domain(
            "c.example",
            {"c-role": {"kind": "role", "role": "EC2-SSM-Role", "from": ["web@c.example"]}},
            mail_from="bounce",
            behavior_on_mx_failure="REJECT_MESSAGE",
        ),
    },
    region="us-west-2",
)


def _terraform_outputs(top: Path, cfg: Config) -> dict[str, Any]:
    """`terraform output -json`'s values, after checking that the outputs sesame reads from
    the state object (apply's credentials, `records`, `verify`) are exactly those."""
    with open_target("sandbox", cfg, top) as target:
        tf = runner.init(cfg, target)
        with tf.command(["output", "-json"], variables=False) as (argv, spawn):
            done = subprocess.run(
                argv, cwd=tf.root, env=spawn.env, capture_output=True, check=True, text=True
            )
        found = {name: entry["value"] for name, entry in json.loads(done.stdout).items()}
        assert state.outputs(cfg, target) == found
        assert found["identities"] and found["dns_records"] and found["sender_secrets"]
        return found


def _world(top: Path, cfg: Config) -> dict[str, Any]:
    """What the emulated AWS holds, read through boto3 and the SES v2 backend."""
    with world.Sandbox(workdir_for(top, "sandbox"), cfg) as sb:
        iam = sb.client("iam")
        users = {u["UserName"]: u for u in iam.list_users(PathPrefix="/ses/")["Users"]}
        policies = {
            name: iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"]
            for name in users
            for p in iam.list_user_policies(UserName=name)["PolicyNames"]
        }
        role_policies = {}
        for _, s in cfg.senders().values():
            if s.role:
                for p in iam.list_role_policies(RoleName=s.role)["PolicyNames"]:
                    doc = iam.get_role_policy(RoleName=s.role, PolicyName=p)["PolicyDocument"]
                    role_policies[s.role] = doc
        keys = {n: iam.list_access_keys(UserName=n)["AccessKeyMetadata"] for n in users}
        sns = sb.client("sns").list_topics()["Topics"]
        alarms = sb.client("cloudwatch").describe_alarms()["MetricAlarms"]
        ses = sb.ses
        region = cfg.region
        identities = {i.name: i for i in ses.list_identities(world.ACCOUNT_ID, region)}
        sets = {c.name: c for c in ses.list_configuration_sets(world.ACCOUNT_ID, region)}
        zones = {
            z.name: [_record(r) for r in sb.cloudflare.records(z.id)]
            for z in sb.cloudflare.zones(sb.cf_account)
        }
    return {
        "users": users,
        "policies": policies,
        "role_policies": role_policies,
        "keys": keys,
        "topics": [t["TopicArn"].rsplit(":", 1)[1] for t in sns],
        "alarms": {a["AlarmName"]: a for a in alarms},
        "identities": identities,
        "sets": sets,
        "zones": zones,
    }


def _record(r: Any) -> dict[str, Any]:
    """A record as its owner sees it (modified_on moves on any update, as on Cloudflare)."""
    return {k: v for k, v in dataclasses.asdict(r).items() if not k.endswith("modified_on")}


def _assert_sandbox_stopped(top: Path) -> None:
    """No stand-in outlives the command: every port it served on is closed again."""
    ports = json.loads((top / ".sesame/sandbox/sandbox-ports.json").read_text())
    for name, port in ports.items():
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"{name} still listening on {port}"


def _statement(doc: Any) -> dict[str, Any]:
    doc = json.loads(doc) if isinstance(doc, str) else doc
    [statement] = doc["Statement"]
    return statement


def _as_list(v: Any) -> list[str]:
    return v if isinstance(v, list) else [v]


def _leaks(sesame: Sesame, values: list[str]) -> list[str]:
    """Every secret value found in what the CLI printed or in a plaintext file it left."""
    found = []
    for text in sesame.outputs:
        found += [f"output contains {v[:4]}…" for v in values if v in text]
    for path in sesame.top.rglob("*"):
        if path.is_file() and path.suffix not in (".age",) and path.name != "credentials.yaml":
            data = path.read_bytes()
            found += [f"{path} contains {v[:4]}…" for v in values if v.encode() in data]
    return found


# The shipped example (two domains, one sender of each kind) and three domains (one
# per sender kind, another region, another MAIL FROM). A one-domain variant proved nothing
# these two do not (its one zone is seeded as the first of THREE's is) and cost a lifecycle.
@pytest.mark.parametrize("config", [example_config(), THREE], ids=["example", "three"])
def test_apply_then_clean_plan_then_destroy(sesame: Sesame, config: dict) -> None:
    sesame.write(config)
    cfg = Config.model_validate(config)
    before = _world(sesame.top, cfg)["zones"]  # the sandbox seeds a zone owner's records
    applied = sesame.ok("apply")
    _assert_sandbox_stopped(sesame.top)
    # Progress from the start: the first line is the sandbox starting, on sesame's clock
    # (bench/ measures how soon; tests never assert speed).
    steps = applied.stderr.splitlines()
    assert re.match(r"\[ +\d+\.\ds\] starting the sandbox", steps[0]), steps[0]
    for step in ("decrypting", "terraform init", "preflight", "planning", "applying"):
        assert any(re.match(rf"\[ +\d+\.\ds\] .*{step}", line) for line in steps), step
    # Each planned change once, sorted (Terraform streams them unsorted, and twice).
    listed = [ln.split()[1] for ln in steps if re.match(r"^ +(create|update)  module\.", ln)]
    assert listed == sorted(set(listed)) and len(listed) > 10

    # A second plan finds nothing to do and no drift: the stand-ins read back what was
    # written, and what SES itself moves (DKIM verification) is not drift.
    again = sesame("plan", "--detailed-exitcode")
    assert again.returncode == 0
    assert "outside" not in again.stderr, again.stderr

    w = _world(sesame.top, cfg)
    region = cfg.region
    for name, d in cfg.domains.items():
        identity = w["identities"][name]
        assert identity.next_signing_key_length == "RSA_2048_BIT"
        assert len(identity.dkim_tokens) == 3
        assert identity.mail_from_domain == f"{d.mail_from}.{name}"
        assert identity.behavior_on_mx_failure == d.behavior_on_mx_failure
        cs = w["sets"][identity.configuration_set_name]
        assert cs.options["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
        assert cs.options["SuppressionOptions"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}
        assert cs.reputation_options["ReputationMetricsEnabled"] is True
        [dest] = cs.event_destinations.values()
        assert dest["Enabled"] is True
        assert set(dest["MatchingEventTypes"]) == {
            "BOUNCE",
            "COMPLAINT",
            "REJECT",
            "DELIVERY_DELAY",
        }
        assert f"ses-events-{cs.name}" in w["topics"]
        assert {f"ses-{name}-bounce-rate", f"ses-{name}-complaint-rate"} <= set(w["alarms"])
    # DNS: every record each domain needs, in its zone, from the same plan.
    seeded = next(z for z, recs in before.items() if recs)
    for name, d in cfg.domains.items():
        identity = w["identities"][name]
        zone = {(r["type"], r["name"]): r for r in w["zones"][name]}
        for token in identity.dkim_tokens:
            cname = zone[("CNAME", f"{token}._domainkey.{name}")]
            assert cname["content"] == f"{token}.dkim.amazonses.com" and cname["proxied"] is False
        mx = zone[("MX", f"{d.mail_from}.{name}")]
        assert mx["content"] == f"feedback-smtp.{region}.amazonses.com" and mx["priority"] == 10
        assert (
            zone[("TXT", f"{d.mail_from}.{name}")]["content"]
            == '"v=spf1 include:amazonses.com ~all"'
        )
        assert zone[("TXT", f"_dmarc.{name}")]["content"].startswith(
            f'"v=DMARC1; p={d.dmarc.policy}'
        )
        spf = [r for r in w["zones"][name] if r["type"] == "TXT" and r["name"] == name]
        assert len(spf) == 1  # never a second SPF record
        if name == seeded:  # merged into the owner's record, which keeps its ID
            assert (
                spf[0]["content"] == '"v=spf1 include:_spf.google.com include:amazonses.com ~all"'
            )
            owners = next(r for r in before[name] if r["type"] == "TXT")
            assert (spf[0]["id"], spf[0]["ttl"]) == (owners["id"], owners["ttl"])  # its TTL too
            assert "website" in [r["comment"] for r in w["zones"][name]]  # neighbour untouched
        else:
            assert spf[0]["content"] == '"v=spf1 include:amazonses.com ~all"'
        ours = [r for r in w["zones"][name] if r not in before[name]]
        assert all("managed by sesame" in (r["comment"] or "") for r in ours)
    assert w["alarms"]["ses-account-bounce-rate"]["Threshold"] == 0.05
    assert w["alarms"]["ses-account-complaint-rate"]["Threshold"] == 0.001

    # Each sender: only its domain's identities and configuration set, only its From list.
    outputs = _terraform_outputs(sesame.top, cfg)
    creds = secrets.decrypt(sesame.top / ".sesame/sandbox/credentials.yaml", keys.age_key())
    for name, (dom, sender) in cfg.senders().items():
        doc = w["role_policies"][sender.role] if sender.kind == "role" else w["policies"][name]
        st = _statement(doc)
        expected = (
            ["ses:SendRawEmail"] if sender.kind == "smtp" else ["ses:SendEmail", "ses:SendRawEmail"]
        )
        assert sorted(_as_list(st["Action"])) == expected
        cs_name = w["identities"][dom].configuration_set_name
        prefix = f"arn:aws:ses:{region}:{world.ACCOUNT_ID}"
        assert sorted(_as_list(st["Resource"])) == sorted(
            [
                f"{prefix}:identity/{dom}",
                f"{prefix}:identity/*@{dom}",
                f"{prefix}:configuration-set/{cs_name}",
            ]
        )
        assert sorted(_as_list(st["Condition"]["StringLike"]["ses:FromAddress"])) == sorted(
            sender.from_
        )
        # config.py refuses a From list by this size before IAM would (LimitExceeded)
        held = len("".join(json.dumps(doc).split()))
        assert 0 <= names.sender_policy_size(region, dom, sender.kind, sender.from_) - held <= 4
        entry = creds["senders"][name]
        if sender.kind == "role":
            assert name not in w["users"]
            continue
        assert w["users"][name]["Path"] == "/ses/"
        assert len(w["keys"][name]) == 1
        secret = outputs["sender_secrets"][name]["secret_access_key"]
        if sender.kind == "smtp":
            # Our derivation = AWS's algorithm = the AWS provider's own ses_smtp_password_v4.
            assert entry["SMTP_PASSWORD"] == smtp_password_v4(secret, region)
            assert entry["SMTP_PASSWORD"] == outputs["sender_secrets"][name]["smtp_password_v4"]
            assert entry["SMTP_USERNAME"] == w["keys"][name][0]["AccessKeyId"]
            assert entry["SMTP_HOST"] == f"email-smtp.{region}.amazonaws.com"
        else:
            assert entry["AWS_SECRET_ACCESS_KEY"] == secret
            assert entry["AWS_REGION"] == region

    # `records` for a domain sesame publishes in Cloudflare: says so, shows what is live.
    for name in cfg.cloudflare_domains():
        shown = json.loads(sesame.ok("records", name, "--format", "json").stdout)
        assert shown["published"] == {"by": "sesame", "zone": name, "not_managed": []}
        [apex] = [r["value"] for r in shown["records"] if r["key"] == "spf"]
        assert apex == unquote(
            next(r["content"] for r in w["zones"][name] if r["name"] == name and r["type"] == "TXT")
        )
        if name == seeded:  # the owner's SPF merged, not the bare include
            assert apex == "v=spf1 include:_spf.google.com include:amazonses.com ~all"
        table = sesame.ok("records", name).stdout
        assert table.startswith(f"{name}: already published by sesame in Cloudflare zone {name}")
    # `credentials` masks secrets unless --reveal.
    some = next(iter(cfg.senders()))
    masked = sesame.ok("credentials", some, "--format", "json").stdout
    assert "********" in masked or cfg.senders()[some][1].kind == "role"
    # An app's variables are the same set whichever way they are exported.
    for name, (_, sender) in cfg.senders().items():
        if sender.kind == "role" or sender.export is not None:
            continue
        env = sesame.ok("credentials", name, "--format", "env").stdout
        manifest = sesame.ok("credentials", name, "--format", "k8s").stdout
        env_names = [ln.split("=", 1)[0] for ln in env.splitlines() if not ln.startswith("#")]
        assert env_names == list(yaml.safe_load(manifest)["stringData"]), name
        assert "AWS_REGION" in env_names

    sesame.ok("destroy")
    w = _world(sesame.top, cfg)
    assert not w["users"] and not w["identities"] and not w["sets"]
    assert not w["topics"] and not w["alarms"] and not w["role_policies"]
    assert not (sesame.top / ".sesame/sandbox/credentials.yaml").exists()
    # The zones are as the owner left them: the original SPF back, neighbours untouched.
    after = w["zones"]
    assert after == before

    # Nothing secret printed or left in plaintext: provider/backend keys, sender secrets, passwords.
    sandbox_secrets = secrets.load(keys.SECRETS_FILE, keys.age_key()).secret_values()
    sender_values = [
        v
        for s in creds["senders"].values()
        for k, v in s.items()
        if k in ("SMTP_PASSWORD", "AWS_SECRET_ACCESS_KEY")
    ]
    sender_values += [s["secret_access_key"] for s in outputs["sender_secrets"].values()]
    assert _leaks(sesame, sandbox_secrets + sender_values) == []
