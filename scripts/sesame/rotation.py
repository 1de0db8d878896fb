"""Key generations: which access key each smtp/api sender is on, and its previous key.

Kept in `sesame.keys.yaml` beside the configuration, written by `sesame rotate` and
committed with it, so the pull request that rotates a key shows the generation change and
the plan shows the key it creates (docs/rotation.md). A sender absent from the file is on
generation 1 with no previous key: every key made before rotation existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from sesame.errors import ConfigError

FILE_NAME = "sesame.keys.yaml"
HEADER = (
    "# Written by `sesame rotate`; commit it with sesame.yaml. Per smtp/api sender: the\n"
    "# access key generation in use, and the previous generation's key status until\n"
    "# `sesame rotate --retire` deactivates (Inactive) and then deletes it.\n"
)

PreviousKey = Literal["Active", "Inactive"]


@dataclass(frozen=True)
class Keys:
    generation: int = 1
    previous: PreviousKey | None = None


def path_for(top: Path) -> Path:
    return top / FILE_NAME


def load(top: Path) -> dict[str, Keys]:
    path = path_for(top)
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(
            f"{path}: not YAML ({where}{problem}); fix: restore it from git"
        ) from None
    senders = data.get("senders") if isinstance(data, dict) else None
    if not isinstance(senders, dict):
        raise ConfigError(f"{path}: no `senders:` mapping; fix: restore it from git")
    out: dict[str, Keys] = {}
    for name, entry in senders.items():
        generation = entry.get("generation") if isinstance(entry, dict) else None
        previous = entry.get("previous") if isinstance(entry, dict) else None
        if not isinstance(generation, int) or isinstance(generation, bool) or generation < 1:
            raise ConfigError(
                f"{path}: senders.{name}.generation must be a whole number from 1; "
                "fix: restore it from git"
            )
        if previous not in (None, "Active", "Inactive") or (previous and generation < 2):
            raise ConfigError(
                f"{path}: senders.{name}.previous must be Active or Inactive (from generation "
                "2); fix: restore it from git"
            )
        out[str(name)] = Keys(generation, previous)
    return out


def save(top: Path, keys: dict[str, Keys]) -> Path:
    path = path_for(top)
    senders: dict[str, dict[str, object]] = {}
    for name in sorted(keys):
        k = keys[name]
        if k == Keys():
            continue
        senders[name] = {"generation": k.generation}
        if k.previous:
            senders[name]["previous"] = k.previous
    body = yaml.safe_dump({"senders": senders}, sort_keys=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(HEADER + body)
    tmp.replace(path)
    return path


def retired_keys(keys: dict[str, Keys]) -> frozenset[str]:
    """Addresses of the previous-generation keys a retirement deletes (the slot that is not
    current, for senders whose previous key is gone): the deletes the user asked for."""
    out = set()
    for name, k in keys.items():
        if k.generation >= 2 and k.previous is None:
            slot = "alternate" if k.generation % 2 == 1 else "this"
            out.add(f'aws_iam_access_key.{slot}["{name}"]')
    return frozenset(out)


def rotated(k: Keys) -> Keys:
    return Keys(k.generation + 1, "Active")


def retired(k: Keys) -> Keys:
    """One retirement step: an Active previous key becomes Inactive, an Inactive one goes."""
    if k.previous == "Active":
        return Keys(k.generation, "Inactive")
    return Keys(k.generation, None)
