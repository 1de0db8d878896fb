from __future__ import annotations

from pathlib import Path

from sesame import credentials, output, rotation
from sesame.checks.keys import prove
from sesame.config import Config
from sesame.environments import open_target
from sesame.errors import ConfigError, FatalError


def _chosen(config: Config, senders: list[str], every: bool) -> list[str]:
    known = config.senders()
    if every and senders:
        raise ConfigError("name senders or pass --all, not both; fix: drop one")
    if not every and not senders:
        raise ConfigError("no sender named; fix: sesame rotate SENDER… or sesame rotate --all")
    for name in senders:
        if name not in known:
            raise ConfigError(
                f"{name}: no such sender in the configuration; fix: one of "
                + ", ".join(sorted(known))
            )
    return senders or sorted(known)


def rotate(config: Config, top: Path, senders: list[str], *, every: bool) -> int:
    """Raise each sender's key generation; the next plan creates the new key beside the old."""
    names = _chosen(config, senders, every)
    state = rotation.load(top)
    known = config.senders()
    changed: dict[str, rotation.Keys] = {}
    for name in names:
        if known[name][1].kind == "role":
            output.write_line(
                f"{name}: role sender, nothing to rotate (its role's credentials are temporary)"
            )
            continue
        keys = state.get(name, rotation.Keys())
        if keys.previous:
            raise ConfigError(
                f"{name}: generation {keys.generation - 1}'s key is still kept ({keys.previous}); "
                f"fix: sesame rotate --retire {name} until it is gone, then rotate"
            )
        changed[name] = rotation.rotated(keys)
    if not changed:
        return 0
    path = rotation.save(top, {**state, **changed})
    for name, keys in changed.items():
        output.write_line(
            f"{name}: key generation {keys.generation - 1} -> {keys.generation}; the previous "
            "key stays active until `sesame rotate --retire`"
        )
    output.write_line(f"wrote {path.name}; next: sesame plan (commit it with the config), apply")
    return 0


def retire(config: Config, top: Path, env: str, senders: list[str]) -> int:
    """One step per sender: prove the new key and deactivate the previous, or delete it."""
    state = rotation.load(top)
    for name in senders:
        if name not in config.senders():
            raise ConfigError(f"{name}: no such sender in the configuration; fix: check the name")
    names = senders or sorted(n for n, k in state.items() if k.previous)
    pending = [n for n in names if state.get(n, rotation.Keys()).previous]
    for name in sorted(set(names) - set(pending)):
        output.write_line(f"{name}: no previous key to retire")
    if not pending:
        return 0
    with open_target(env, config, top) as target:
        creds = credentials.load(target.credentials_path, target.age_key)
        for name in pending:
            if state[name].previous == "Active":
                _prove_current(name, state[name], creds.get(name), target, config.region)
            else:
                _deactivated(name, state[name], creds.get(name))
    changed = {n: rotation.retired(state[n]) for n in pending}
    path = rotation.save(top, {**state, **changed})
    for name, keys in changed.items():
        what = "deactivated" if keys.previous == "Inactive" else "deleted"
        output.write_line(
            f"{name}: generation {keys.generation} proven; generation {keys.generation - 1}'s "
            f"key will be {what}"
        )
    output.write_line(f"wrote {path.name}; next: sesame plan (commit it with the config), apply")
    return 0


def _deactivated(name: str, keys: rotation.Keys, entry: dict | None) -> None:
    """The second retire deletes the previous key: only once the apply after the first has
    deactivated it (its Inactive stage is the test that no app still uses it)."""
    status = ((entry or {}).get("previous") or {}).get("status")
    if status is not None and status != "Inactive":
        raise ConfigError(
            f"{name}: generation {keys.generation - 1}'s key is not deactivated yet (IAM holds "
            f"it {status}); fix: sesame apply, then retire (its Inactive stage proves no app "
            "still uses it)"
        )


def _prove_current(
    name: str, keys: rotation.Keys, entry: dict | None, target: object, region: str
) -> None:
    if not entry or entry.get("key_generation") != keys.generation:
        raise ConfigError(
            f"{name}: generation {keys.generation} is not applied yet (credentials hold "
            f"{(entry or {}).get('key_generation', 'none')}); fix: sesame apply, then retire"
        )
    failed = [c for c in prove(name, entry, target, region) if not c.ok]  # type: ignore[arg-type]
    if failed:
        c = failed[0]
        raise FatalError(
            f"{name}: generation {keys.generation}'s key failed its proof ({c.check}: "
            f"{c.detail}); the previous key stays active; fix: {c.fix or 'see the cause'}"
        )
