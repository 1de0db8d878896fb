"""Delivery of sender credentials where apps read them: SSM Parameter Store SecureStrings.

After every apply (and so after every rotation step) each sender with
`export.parameter_store: PATH` gets one SecureString per exported name under PATH, and
while a rotation keeps the previous key, the same names under PATH/previous; when the
previous key is deleted, PATH/previous goes too. Values travel to SSM over its API from
memory (docs/credentials.md on why not as Terraform resources).
"""

from __future__ import annotations

from typing import Any

from sesame import aws, exports
from sesame.config import Config
from sesame.target import Target


def _put(ssm: Any, prefix: str, named: dict[str, str | None]) -> int:
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


def deliver(config: Config, target: Target, creds: dict[str, dict[str, Any]]) -> list[str]:
    """Write every configured sender's names; the `PATH (n names)` written."""
    ssm = None
    written = []
    for name, (_, sender) in sorted(config.senders().items()):
        export = sender.export
        if export is None or export.parameter_store is None or name not in creds:
            continue
        ssm = ssm or aws.client("ssm", config.region, target)
        names = exports.mapping(sender.kind, export.preset, export.names)
        entry = creds[name]
        count = _put(ssm, export.parameter_store, exports.values(entry, config.region, names))
        previous = exports.previous_values(entry, config.region, names)
        if previous is None:
            _delete(ssm, f"{export.parameter_store}/previous", list(names))
        else:
            count += _put(ssm, f"{export.parameter_store}/previous", previous)
        written.append(f"{export.parameter_store} ({count} names)")
    return written
