"""`sesame sandbox seed` and `reset`: load what already exists into the sandbox, or forget it.

A seed file is either a Cloudflare zone export (zonefile.py) or a YAML seed file of SES
identities, configuration sets and IAM users/roles (seedfile.py; `.yaml`/`.yml`). Every
file is read and validated before the world is touched, so a bad file changes nothing.

Seeding a zone replaces that zone's records with the file's: the zone becomes the copy
of the real one. SES and IAM seeds add to what is there; one that already exists is an
error (a rehearsal starts from `sesame sandbox reset`). The world is saved like after
any command, so later plans and applies see the seeded records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sesame.config import Config
from sesame.errors import ConfigError
from sesame.sandbox import seedfile, zonefile
from sesame.sandbox.cloudflare.models import CloudflareBackend
from sesame.sandbox.sesv2.exceptions import SesV2Error
from sesame.sandbox.sesv2.models import SesV2Backend

YAML_SUFFIXES = (".yaml", ".yml")
# What `reset` removes from the sandbox work dir: the saved world (which holds the state
# bucket too) and the credentials of senders that no longer exist.
WORLD_FILES = ("sandbox-world.age", "credentials.yaml", "sandbox-calls.jsonl")


@dataclass
class Loaded:
    zones: list[zonefile.ZoneFile]
    seeds: list[tuple[Path, seedfile.Seed]]


def load(paths: list[Path], config: Config) -> Loaded:
    """Parse and check every file; nothing is changed yet."""
    zones_in_config = {config.zone_of(d) for d in config.cloudflare_domains()}
    loaded = Loaded(zones=[], seeds=[])
    for path in paths:
        if path.suffix.lower() in YAML_SUFFIXES:
            loaded.seeds.append((path, seedfile.parse(path)))
            continue
        zone = zonefile.parse(path)
        if zone.zone not in zones_in_config:
            known = ", ".join(sorted(zones_in_config)) or "none"
            raise ConfigError(
                f"{path}: zone {zone.zone} is not a Cloudflare zone of any domain in the "
                f"configuration (zones: {known}); fix: export that zone, or add a domain in it"
            )
        _seed_zone(CloudflareBackend(), "dry-run", zone)  # refused records: before any change
        loaded.zones.append(zone)
    dry_ses = SesV2Backend()
    for path, parsed in loaded.seeds:
        _seed_ses(dry_ses, path, parsed, parsed.ses.region or config.region)
    names = [z.zone for z in loaded.zones]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"zone {name} is given twice; fix: pass one export per zone")
    return loaded


def _seed_zone(cf: CloudflareBackend, account: str, zone_file: zonefile.ZoneFile) -> str:
    zone = cf.zone_by_name(zone_file.zone)
    if zone is None:
        zone_id = cf.create_zone(account, zone_file.zone)["id"]
        zone = cf.find_zone(zone_id)
    assert zone is not None
    for record in list(zone.records.values()):
        cf.delete_dns_record(zone.account_id, zone.id, record.id)
    for body in zone_file.records:
        try:
            cf.create_dns_record(zone.account_id, zone.id, body)
        except Exception as exc:  # the emulator's API error: one line, which record
            message = getattr(exc, "message", None) or str(exc)
            raise ConfigError(
                f"{zone_file.path}: {body['name']} {body['type']} {body['content']}: "
                f"Cloudflare refuses it ({message}); fix: correct that record"
            ) from None
    line = f"{zone_file.zone}: {len(zone_file.records)} records ({zone_file.proxied} proxied)"
    if zone_file.skipped:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(zone_file.skipped.items()))
        line += f"; skipped {kinds} (the sandbox serves A, AAAA, CNAME, MX, TXT, NS, PTR)"
    return line


def _trust(service: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _seed_ses(ses: SesV2Backend, path: Path, seed: seedfile.Seed, region: str) -> None:
    account = ses.account_id
    try:
        for config_set in seed.ses.configuration_sets:
            ses.create_configuration_set(account, region, configuration_set_name=config_set.name)
        for identity in seed.ses.identities:
            ses.create_email_identity(
                account,
                region,
                email_identity=identity.name,
                dkim_signing_attributes={"NextSigningKeyLength": identity.dkim_key_length},
                configuration_set_name=identity.configuration_set,
            )
            if identity.mail_from:
                ses.put_email_identity_mail_from_attributes(
                    account,
                    region,
                    email_identity=identity.name,
                    mail_from_domain=identity.mail_from,
                )
    except SesV2Error as exc:
        raise ConfigError(
            f"{path}: SES refuses it: {exc.message.rstrip('.')}; fix: correct the seed"
        ) from None


def _seed_aws(sandbox: Any, path: Path, seed: seedfile.Seed, config: Config) -> list[str]:
    region = seed.ses.region or config.region
    _seed_ses(sandbox.ses, path, seed, region)
    lines = []
    iam = sandbox.client("iam")
    try:
        for user in seed.iam.users:
            iam.create_user(UserName=user.name, Path=user.path)
            if user.policy is not None:
                iam.put_user_policy(
                    UserName=user.name,
                    PolicyName="seeded",
                    PolicyDocument=json.dumps(user.policy),
                )
        for role in seed.iam.roles:
            existing = {r["RoleName"] for r in iam.list_roles()["Roles"]}
            if role.name not in existing:
                iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=_trust(role.service))
    except iam.exceptions.ClientError as exc:
        raise ConfigError(
            f"{path}: IAM refuses it: {exc.response['Error']['Message']}; fix: correct the seed"
        ) from None
    if seed.ses.identities or seed.ses.configuration_sets:
        lines.append(
            f"ses ({region}): {len(seed.ses.identities)} identities, "
            f"{len(seed.ses.configuration_sets)} configuration sets"
        )
    if seed.iam.users or seed.iam.roles:
        lines.append(f"iam: {len(seed.iam.users)} users, {len(seed.iam.roles)} roles")
    return lines


def _already_there(sandbox: Any, loaded: Loaded, config: Config) -> None:
    """Refuse before any change when a seeded SES or IAM resource already exists."""
    users = {u["UserName"] for u in sandbox.client("iam").list_users()["Users"]}
    for path, parsed in loaded.seeds:
        region = parsed.ses.region or config.region
        account = sandbox.ses.account_id
        clashes = [
            f"identity {i.name}"
            for i in parsed.ses.identities
            if sandbox.ses.get_identity(account, region, i.name) is not None
        ]
        clashes += [
            f"configuration set {c.name}"
            for c in parsed.ses.configuration_sets
            if sandbox.ses.find_configuration_set(account, region, c.name) is not None
        ]
        clashes += [f"IAM user {u.name}" for u in parsed.iam.users if u.name in users]
        if clashes:
            raise ConfigError(
                f"{path}: the sandbox already has {', '.join(clashes)}; fix: run "
                "`sesame sandbox reset` first (a rehearsal starts from an empty world)"
            )


def seed(sandbox: Any, loaded: Loaded, config: Config) -> list[str]:
    """Put the loaded files into a running sandbox; one summary line per part."""
    _already_there(sandbox, loaded, config)
    lines = [_seed_zone(sandbox.cloudflare, sandbox.cf_account, z) for z in loaded.zones]
    for path, parsed in loaded.seeds:
        lines += _seed_aws(sandbox, path, parsed, config)
    return lines


def reset(workdir: Path) -> list[str]:
    """Forget the saved world; the next command starts from a fresh sandbox."""
    removed = []
    for name in WORLD_FILES:
        path = workdir / name
        if path.exists():
            path.unlink()
            removed.append(name)
    return removed
