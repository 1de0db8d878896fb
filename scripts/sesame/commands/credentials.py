from __future__ import annotations

from pathlib import Path

from sesame import credentials, exports, output
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError, UsageError


def show(
    config: Config, top: Path, env: str, sender: str | None, *, fmt: str | None, reveal: bool
) -> int:
    """List senders (secrets masked), or export one for an app (`--reveal` shows secrets)."""
    if sender is None and (reveal or fmt is not None):
        names = sorted(s for d in config.domains.values() for s in d.senders)
        raise UsageError(
            f"--format/--reveal export one sender and none was named; fix: name one of "
            f"{', '.join(names)}, e.g. `make credentials SENDER={names[0]} "
            'ARGS="--format env --reveal"`'
        )
    apply = "make apply" if env == "sandbox" else f"make apply ENV={env}"
    with open_target(env, config, top) as target:
        path = target.credentials_path
        creds = credentials.load(path, target.age_key) if path.exists() else None
    if sender is None:
        for name, (domain, configured) in sorted(config.senders().items()):
            entry = (creds or {}).get(name)
            kind = entry["kind"] if entry else configured.kind
            line = f"{name}\t{kind}\t{entry['domain'] if entry else domain}"
            output.write_line(line if entry else f"{line}\t(no credentials yet: run `{apply}`)")
        return 0
    if creds is None:
        raise ConfigError(f"{path}: no credentials yet; fix: run `{apply}` first")
    if sender not in creds:
        known = ", ".join(creds) or "none"
        raise ConfigError(f"no sender named '{sender}'; fix: use one of: {known}")
    fmt = fmt or "env"
    entry = creds[sender]
    configured = config.senders().get(sender)
    export = configured[1].export if configured else None
    # env and k8s are the variables an app reads, the same set in both (sesame's own field
    # names without an export); json and yaml are the whole entry (kind, domain, keys).
    if (export is None and fmt in ("json", "yaml")) or entry["kind"] == "role":
        _write(credentials.render(sender, entry, fmt, reveal), fmt, masked=not reveal)
        return 0
    names = exports.mapping(
        entry["kind"], export.preset if export else None, export.names if export else {}
    )
    secret = {app for app in names if exports.is_secret(names, app)}
    named = exports.values(entry, config.region, names)
    previous = exports.previous_values(entry, config.region, names)
    text = credentials.render_app(sender, named, previous, secret, fmt, reveal)
    _write(text, fmt, masked=not reveal)
    return 0


MASKED = "secret values are masked (********); add --reveal to export them"


def _write(text: str, fmt: str, *, masked: bool) -> None:
    """The export on stdout; masked, said on stderr and, where the format has comments
    (env, YAML, a Kubernetes manifest), in its first line: a masked export piped into
    `kubectl apply` or an env file must not pass for the real one."""
    if masked and credentials.MASK in text:
        output.status(MASKED)
        if fmt != "json":
            text = f"# {MASKED}\n{text}"
    output.write_line(text)
