"""Shards: which state holds each domain, and which shards a configuration change touches.

A shard is one Terraform state (`<key_prefix>/<shard>.tfstate`), run and lock. A domain's
shard is its `shard:` when set; otherwise, with `shards.count: N`, rendezvous (highest
random weight) hashing over shard-0 … shard-(N-1): each shard scores the domain with
SHA-256 of "<shard>\\0<domain>" and the highest score wins. The assignment depends only on
the domain and the shard names (not on the order of the file, other domains or Python's
hash seed), and raising N moves a domain only to a new shard, never between existing ones
(about 1/(N+1) of them; sesame moves their state, see sesame.tf.moves). The account-wide
resources live in the global shard (docs/scale.md#shards).
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from sesame.config import Config, parse
from sesame.errors import ConfigError


def combined_digest(digests: dict[str, str]) -> str:
    """SHA-256 of the canonical JSON {shard: that shard's plan digest}: changing, adding or
    dropping any shard's plan changes it (a sharded plan's one digest)."""
    canonical = json.dumps(dict(sorted(digests.items())), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def enabled(config: Config) -> bool:
    return config.shards is not None


def hashed_names(config: Config) -> list[str]:
    count = config.shards.count if config.shards else 0
    return [f"shard-{i}" for i in range(count)]


def _score(shard: str, domain: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{shard}\0{domain}".encode()).digest()[:8], "big")


def rendezvous(domain: str, shards: list[str]) -> str:
    """The shard of `shards` that rendezvous hashing gives `domain` (ties: the smaller name)."""
    return _rendezvous(domain, tuple(sorted(shards)))


# One sharded command assigns every domain dozens of times (each shard's view, fingerprints,
# moves): at 1,000 domains over 10 shards, 610,000 SHA-256 scores, 1.6 s under cProfile.
@functools.lru_cache(maxsize=1 << 16)
def _rendezvous(domain: str, shards: tuple[str, ...]) -> str:
    return max(shards, key=lambda s: _score(s, domain))


def assign(config: Config) -> dict[str, str]:
    """Each configured domain's shard (config.py validated that each domain has one)."""
    buckets = hashed_names(config)
    return {d: v.shard or rendezvous(d, buckets) for d, v in config.domains.items()}


def global_name(config: Config) -> str:
    return config.shards.global_ if config.shards else "global"


def names(config: Config) -> list[str]:
    """Every shard: the global one first, then the domain shards by name (a hashed shard
    with no domain still counts: its state may hold domains to remove)."""
    if config.shards is None:
        return []
    return [global_name(config), *sorted(set(hashed_names(config)) | set(assign(config).values()))]


def key_prefix(config: Config) -> str:
    """`shards.key_prefix`, or the backend key without `.tfstate` (sesame/terraform)."""
    if config.shards and config.shards.key_prefix:
        return config.shards.key_prefix
    return config.backend.key.removesuffix(".tfstate")


def state_key(config: Config, shard: str) -> str:
    return f"{key_prefix(config)}/{shard}.tfstate"


def view(config: Config, shard: str) -> Config:
    """The configuration one shard's run sees: its domains only, its own state key, and the
    account-wide resources only in the global shard (Config.account_resources)."""
    if config.shards is None:
        raise ConfigError("--shard needs a `shards:` section in sesame.yaml; fix: add one")
    known = names(config)
    if shard not in known:
        raise ConfigError(f"--shard {shard}: no such shard; fix: one of {', '.join(known)}")
    owner = assign(config)
    domains = {d: v for d, v in config.domains.items() if owner[d] == shard}
    backend = config.backend.model_copy(update={"key": state_key(config, shard)})
    part = config.model_copy(update={"domains": domains, "backend": backend})
    part._shard = shard
    return part


def fingerprint(config: Config, shard: str) -> str:
    """SHA-256 of everything a shard's run reads from sesame.yaml: equal fingerprints, equal
    inputs (the alarm e-mail list only reaches the global shard)."""
    part = view(config, shard)
    data: dict[str, Any] = part.model_dump(mode="json", by_alias=True, exclude={"shards"})
    data["backend"] = part.backend.model_dump(mode="json")
    if shard != global_name(config):
        data["alarms"].pop("emails", None)
    blob = json.dumps(data, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def changed(base: Config | None, head: Config) -> list[str]:
    """Shards of `head` whose inputs differ from `base` (all of them without a base), in
    names() order. A shard only `base` has needs no run: its domains changed shards, and
    the shards they moved to are in the list (their state moves first, sesame.tf.moves)."""
    if base is None or base.shards is None:
        return names(head)
    out = []
    for shard in names(head):
        if shard not in names(base) or fingerprint(base, shard) != fingerprint(head, shard):
            out.append(shard)
    return out


def base_config(config_path: Path, ref: str) -> Config | None:
    """sesame.yaml as it was at git REF (`git show REF:path`); None when REF has none or it
    does not parse (then every shard counts as changed). A bad REF is a ConfigError."""
    path = config_path.resolve()
    try:
        top = subprocess.run(
            ["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        subprocess.run(
            ["git", "-C", top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
            check=True,
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise ConfigError(
            f"--changed-since {ref}: not a commit in the git repository holding {config_path}; "
            "fix: fetch the base branch (e.g. `git fetch origin main`) and name it"
        ) from None
    rel = path.relative_to(Path(top).resolve()).as_posix()
    shown = subprocess.run(
        ["git", "-C", top, "show", f"{ref}:{rel}"], capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        return None
    try:
        return parse(shown.stdout, Path(f"{ref}:{rel}"))
    except ConfigError:
        return None


CODE_PATHS = ("terraform/", "scripts/", "pyproject.toml")  # what every shard's run is made of


def code_changed(config_path: Path, ref: str) -> list[str]:
    """Files under terraform/, scripts/ or pyproject.toml that differ from git REF (the
    module or sesame itself: every shard's plan may change)."""
    top = Path(
        subprocess.run(
            ["git", "-C", str(config_path.resolve().parent), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    diff = subprocess.run(
        ["git", "-C", str(top), "diff", "--name-only", ref, "--", *CODE_PATHS],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in diff.stdout.splitlines() if line]


KEYS_FILE = "sesame.keys.yaml"  # sesame.rotation: each sender's key generation, committed


def _keys_at(top: Path, rel: str, ref: str | None) -> dict[str, Any]:
    if ref is None:
        path = top / rel
        text = path.read_text() if path.exists() else ""
    else:
        shown = subprocess.run(
            ["git", "-C", str(top), "show", f"{ref}:{rel}"],
            capture_output=True,
            text=True,
            check=False,
        )
        text = shown.stdout if shown.returncode == 0 else ""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return {"": "unreadable"}  # differs from anything: every sender counts as changed
    senders = data.get("senders") if isinstance(data, dict) else None
    return senders if isinstance(senders, dict) else {}


def rotated(config: Config, config_path: Path, ref: str) -> list[str]:
    """Shards with a sender whose key generation (sesame.keys.yaml) differs from git REF."""
    folder = config_path.resolve().parent
    top = Path(
        subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    ).resolve()
    rel = (folder / KEYS_FILE).relative_to(top).as_posix()
    before, after = _keys_at(top, rel, ref), _keys_at(top, rel, None)
    if "" in before or "" in after:
        return names(config)
    owner = assign(config)
    senders = {n: dom for n, (dom, _) in config.senders().items()}
    moved = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
    return [s for s in names(config) if any(owner[senders[n]] == s for n in moved if n in senders)]


def select(
    config: Config, config_path: Path, *, shard: str | None, all_shards: bool, since: str | None
) -> list[str] | None:
    """The shards a command runs on: None for an unsharded configuration run as one state;
    else the named shard, those changed since a git ref, or every shard (`--all-shards`,
    also what a sharded configuration runs without an option)."""
    chosen = [x for x in (shard is not None, all_shards, since is not None) if x]
    if len(chosen) > 1:
        raise ConfigError(
            "--shard, --all-shards and --changed-since choose shards three ways; fix: pass one"
        )
    if config.shards is None:
        if chosen:
            raise ConfigError(
                "sesame.yaml has no `shards:` section, so there is one state and no shard to "
                "choose; fix: drop the option, or add `shards: {count: N}`"
            )
        return None
    if shard is not None:
        view(config, shard)  # a one-line error for an unknown shard
        return [shard]
    if since is not None:
        base = base_config(config_path, since)  # checks REF first
        if code_changed(config_path, since):
            return names(config)
        chosen = set(changed(base, config)) | set(rotated(config, config_path, since))
        return [s for s in names(config) if s in chosen]
    return names(config)  # --all-shards, and the default for a sharded configuration
