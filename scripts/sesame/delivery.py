"""Delivery of sender credentials where apps read them: SSM Parameter Store SecureStrings
and Secrets Manager secrets.

After every apply (and so after every rotation step) each sender with
`export.parameter_store: PATH` gets one SecureString per exported name under PATH, and
while a rotation keeps the previous key, the same names under PATH/previous; when the
previous key is deleted, PATH/previous goes too. `export.secrets_manager: NAME` gets the
same in Secrets Manager: secret NAME holds one JSON object of the names (what an ECS task's
`valueFrom: <arn>:NAME_IN_JSON::` and SDKs' GetSecretValue read), NAME/previous the previous
key's. Values travel over the services' APIs from memory (docs/operating.md on why not as
Terraform resources), and the calls only write: PutParameter/DeleteParameters,
PutSecretValue/CreateSecret/DeleteSecret, so the admin policy grants no read.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from sesame import aws, exports
from sesame.config import Config, Export
from sesame.target import Target

Named = dict[str, str | None]


def _put(ssm: Any, prefix: str, named: Named) -> int:
    for app, value in named.items():
        ssm.put_parameter(
            Name=f"{prefix}/{app}",
            Value=value or "-",
            Type="SecureString",
            Overwrite=True,
        )
    return len(named)


def _delete(ssm: Any, prefix: str, apps: list[str]) -> None:
    """Remove these names under `prefix` (missing ones are fine); no read needed."""
    names = [f"{prefix}/{app}" for app in apps]
    for i in range(0, len(names), 10):
        ssm.delete_parameters(Names=names[i : i + 10])


def _not_found(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def _put_secret(sm: Any, name: str, named: Named) -> int:
    """A new version of secret `name` (AWSCURRENT), created on first delivery. Each apply
    writes one version: comparing first would need GetSecretValue, a read."""
    text = json.dumps(named, sort_keys=True)
    try:
        sm.put_secret_value(SecretId=name, SecretString=text)
    except ClientError as exc:
        if not _not_found(exc):
            raise
        sm.create_secret(
            Name=name, SecretString=text, Description="SES sender credentials (sesame)"
        )
    return len(named)


def _delete_secret(sm: Any, name: str) -> None:
    """Gone at once (no recovery window, which would block the name's next use)."""
    try:
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    except ClientError as exc:
        if not _not_found(exc):
            raise


def _to_parameter_store(ssm: Any, path: str, current: Named, previous: Named | None) -> str:
    count = _put(ssm, path, current)
    if previous is None:
        _delete(ssm, f"{path}/previous", list(current))
    else:
        count += _put(ssm, f"{path}/previous", previous)
    return f"Parameter Store {path} ({count} names)"


def _to_secrets_manager(sm: Any, name: str, current: Named, previous: Named | None) -> str:
    count = _put_secret(sm, name, current)
    if previous is None:
        _delete_secret(sm, f"{name}/previous")
    else:
        count += _put_secret(sm, f"{name}/previous", previous)
    return f"Secrets Manager {name} ({count} names)"


def deliver(config: Config, target: Target, creds: dict[str, dict[str, Any]]) -> list[str]:
    """Write every configured sender's names to each store it names; one line per store
    written: `Parameter Store PATH (n names)`, `Secrets Manager NAME (n names)`."""
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = aws.client(service, config.region, target)
        return clients[service]

    written = []
    for name, (_, sender) in sorted(config.senders().items()):
        export: Export | None = sender.export
        if export is None or name not in creds:
            continue
        names = exports.mapping(sender.kind, export.preset, export.names)
        current = exports.values(creds[name], config.region, names)
        previous = exports.previous_values(creds[name], config.region, names)
        if export.parameter_store is not None:
            where = export.parameter_store
            written.append(_to_parameter_store(client("ssm"), where, current, previous))
        if export.secrets_manager is not None:
            where = export.secrets_manager
            written.append(_to_secrets_manager(client("secretsmanager"), where, current, previous))
    return written
