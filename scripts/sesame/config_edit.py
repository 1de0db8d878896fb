"""Add or remove one domain in sesame.yaml, leaving every other byte of the file as it was.

ruamel.yaml's round-trip parser gives the line and column of each key and whether the
`domains` mapping is a block or a flow; the entry itself is emitted by ruamel (quoting as
YAML 1.1 needs, since sesame reads the file with PyYAML). The edit is a splice of whole
lines: a re-dump of the file would re-indent it and move comments with the node before
them (docs/decisions.md). Every result is read back with sesame's own loader, compared with
the intended data, and validated before the file is replaced (atomically, same mode).

Errors are ConfigError lines (exit 3); the file is untouched on any of them.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError as RuamelError

from sesame import config
from sesame.config import Config, name_problem, shown
from sesame.errors import ConfigError

DEFAULT_STEP = 2  # indentation of a domain's keys when the file has no block entry to copy


@dataclass(frozen=True)
class Edited:
    """The new text of the file and the configuration it parses to."""

    text: str
    config: Config


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str, deeper_than: int) -> bool:
    """A line that belongs to a node indented past `deeper_than`: content, or a comment
    indented past it (a commented-out key inside an entry stays with the entry)."""
    stripped = line.strip()
    if not stripped:
        return False
    return _indent(line) > deeper_than


def _round_trip(text: str, path: Path) -> CommentedMap:
    try:
        data = YAML(typ="rt").load(text)
    except RuamelError as exc:  # sesame's loader accepted it: a corner where the two differ
        raise ConfigError(
            f"{path}: cannot be edited in place ({str(exc).splitlines()[0]}); fix: edit the "
            "domains by hand"
        ) from None
    return data


def _domains(text: str, path: Path) -> tuple[dict[str, Any], CommentedMap]:
    """(data as sesame reads it, the round-trip `domains` mapping with its positions)."""
    data = config.load_yaml(text, path)
    if isinstance(data, dict) and "domains" in data and not data["domains"]:
        raise ConfigError(
            f"{path}: domains is empty, and an edit goes beside a domain already there; fix: "
            "write the first domain by hand (see the README's sesame.yaml), then add the rest"
        )
    if not isinstance(data, dict) or not isinstance(data.get("domains"), dict):
        raise ConfigError(
            f"{path}: has no `domains:` mapping; fix: add `domains:` with one domain under it "
            "(see the README's sesame.yaml)"
        )
    domains = _round_trip(text, path)["domains"]
    if domains.fa.flow_style():
        raise ConfigError(
            f"{path}: domains is written in flow style ({{...}}), which cannot be edited line by "
            "line; fix: write it as a block mapping, one domain per line"
        )
    merged = [n for n, v in domains.items() if isinstance(v, CommentedMap) and v.merge]
    if getattr(domains, "merge", None) or merged:
        where = f"{merged[0]}'s entry" if merged else "domains"
        raise ConfigError(
            f"{path}: {where} uses a YAML merge key (<<), whose keys have no lines of their "
            "own to edit; fix: write the merged keys out, or edit sesame.yaml by hand"
        )
    return data, domains


def _entry_end(lines: list[str], start: int, column: int) -> int:
    """Index after the last line of the entry whose key is on line `start` at `column`:
    lines indented past `column` (blank lines and comments at or left of it trail the
    entry and stay where they are)."""
    end = start + 1
    last = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and _indent(line) <= column and not line.lstrip().startswith("#"):
            break
        end += 1
        if _is_content(line, column):
            last = end
    return last


def _step(domains: CommentedMap) -> int:
    """How far a domain's keys sit right of the domain (copied from the first block entry)."""
    for name, value in domains.items():
        if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
            first = next(iter(value))
            return int(value.lc.key(first)[1]) - int(domains.lc.key(name)[1])
    return DEFAULT_STEP


def _newline(lines: list[str]) -> str:
    first = lines[0] if lines else "\n"
    return "\r\n" if first.endswith("\r\n") else "\n"


def entry_text(domain: str, entry: dict[str, str], column: int, step: int, newline: str) -> str:
    """`domain:` and its keys as YAML 1.1 (the version sesame's loader reads), indented to
    `column`; `domain: {}` when it has none."""
    yaml = YAML(typ="rt")
    yaml.version = (1, 1)  # quote what PyYAML would read as a bool, number or date
    yaml.indent(mapping=step, sequence=step + 2, offset=step)
    yaml.width = 4096
    buf = io.StringIO()
    yaml.dump({domain: dict(entry) if entry else {}}, buf)
    head, sep, body = buf.getvalue().partition("---\n")  # drop the `%YAML 1.1` directive
    body = body if sep else head
    return "".join(" " * column + ln.rstrip("\n") + newline for ln in body.splitlines())


def add(text: str, path: Path, domain: str, entry: dict[str, str]) -> Edited:
    """`text` with `domain: entry` appended to `domains`, or ConfigError."""
    problem = name_problem(domain)
    if problem:
        raise ConfigError(f"{path}: domain {shown(domain)} {problem}")
    data, domains = _domains(text, path)
    if domain in data["domains"]:
        raise ConfigError(
            f"{path}: {domain} is already configured; fix: edit its entry, or "
            f"`sesame domain remove {domain}` first"
        )
    lines = _lines(text)
    newline = _newline(lines)
    last = list(domains)[-1]  # a block mapping has at least one key
    line, column = (int(n) for n in domains.lc.key(last))
    at = _entry_end(lines, line, column)
    step = _step(domains)
    new = entry_text(domain, entry, column, step, newline)
    if at == len(lines) and lines and not lines[-1].endswith("\n"):
        new = newline + new.removesuffix(newline)  # keep the file's missing final newline
    result = "".join(lines[:at]) + new + "".join(lines[at:])
    expected = {**data, "domains": {**data["domains"], domain: entry or {}}}
    return Edited(result, _checked(result, path, expected))


def remove(text: str, path: Path, domain: str) -> Edited:
    """`text` without `domain`'s entry, or ConfigError."""
    data, domains = _domains(text, path)
    if domain not in data["domains"]:
        known = ", ".join(data["domains"]) or "none"
        raise ConfigError(
            f"{path}: {domain} is not configured; fix: name one of the configured domains ({known})"
        )
    lines = _lines(text)
    line, column = (int(n) for n in domains.lc.key(domain))
    end = _entry_end(lines, line, column)
    kept = lines[:line] + lines[end:]
    if end == len(lines) and kept and not lines[-1].endswith("\n"):
        kept[-1] = kept[-1].rstrip("\r\n")  # the file had no final newline: keep it so
    result = "".join(kept)
    rest = {k: v for k, v in data["domains"].items() if k != domain}
    return Edited(result, _checked(result, path, {**data, "domains": rest}))


def _checked(result: str, path: Path, expected: dict[str, Any]) -> Config:
    """The edited text must read back as exactly the intended data, and be valid."""
    got = config.load_yaml(result, path)
    if got != expected or list(got["domains"]) != list(expected["domains"]):
        raise ConfigError(
            f"{path}: the edit would not read back as intended (an unusual layout around "
            "domains:); nothing was written; fix: edit the domains by hand"
        )
    return config.validate(got, path)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one rename: a reader sees the old file or the new one,
    never a half-written one. The file keeps its mode; a symlink keeps pointing at it."""
    real = path.resolve()
    mode = real.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
