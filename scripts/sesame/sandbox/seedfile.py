"""The sandbox seed file: what an AWS account already holds before sesame, in YAML.

    ses:
      region: eu-west-1            # default: the region in sesame.yaml
      configuration_sets:
        - name: legacy-set
      identities:
        - name: example.com
          dkim_key_length: RSA_1024_BIT   # default RSA_2048_BIT
          configuration_set: legacy-set   # its default configuration set
          mail_from: bounce.example.com
        - name: alerts@example.com
    iam:
      users:
        - name: old-mailer
          path: /legacy/
          policy: {Version: "2012-10-17", Statement: [...]}   # an inline policy
      roles:
        - name: EC2-SSM-Role
          service: ec2.amazonaws.com      # who may assume it (default ec2.amazonaws.com)

Validated with pydantic; every problem is one ConfigError line naming file:line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sesame.config import MAPPING_ERRORS
from sesame.errors import ConfigError
from sesame.regions import SES_REGIONS

_NAME = r"^[A-Za-z0-9+=,.@_-]{1,64}$"
_SET = r"^[A-Za-z0-9_-]{1,64}$"
_PATH = r"^/([\x21-\x7e]*/)?$"

KINDS = {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Identity(_Strict):
    name: str = Field(min_length=1, max_length=320)
    dkim_key_length: Literal["RSA_1024_BIT", "RSA_2048_BIT"] = "RSA_2048_BIT"
    configuration_set: str | None = Field(default=None, pattern=_SET)
    mail_from: str | None = None


class ConfigurationSet(_Strict):
    name: str = Field(pattern=_SET)


class Ses(_Strict):
    region: str | None = None
    configuration_sets: list[ConfigurationSet] = []
    identities: list[Identity] = []

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and v not in SES_REGIONS:
            raise ValueError(f"'{v}' is not a region where SES runs")
        return v


class User(_Strict):
    name: str = Field(pattern=_NAME)
    path: str = Field(default="/", pattern=_PATH)
    policy: dict[str, Any] | None = None


class Role(_Strict):
    name: str = Field(pattern=_NAME)
    service: str = "ec2.amazonaws.com"


class Iam(_Strict):
    users: list[User] = []
    roles: list[Role] = []


class Seed(_Strict):
    ses: Ses = Ses()
    iam: Iam = Iam()


def _lines(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """1-based line of every key path in a composed YAML document."""
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found[(*path, key.value)] = key.start_mark.line + 1
            found.update(_lines(value, (*path, key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.update(_lines(item, (*path, index)))
    return found


def parse(path: Path) -> Seed:
    try:
        text = path.read_text()
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc}); fix: pass a seed file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "not YAML"
        raise ConfigError(f"{where}: {problem}; fix: correct the YAML") from None
    if data is None:
        raise ConfigError(
            f"{path}: is empty: nothing to seed; fix: give it ses: and/or iam: (the seed format "
            "in docs/sandbox.md)"
        )
    try:
        return Seed.model_validate(data)
    except ValidationError as exc:
        # an unknown key first: a misspelt key is the likeliest cause of the others
        error = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        loc = tuple(error["loc"])
        lines = _lines(node) if node is not None else {}
        line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 1)
        key = ".".join(str(p) for p in loc) or "(top)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] in MAPPING_ERRORS:
            kind = KINDS.get(type(error.get("input")), "a value")
            message = f"is {kind}, not a mapping of keys"
        raise ConfigError(
            f"{path}:{line}: {key}: {message}; fix: see the seed format in "
            "docs/sandbox.md (keys ses: and iam:)"
        ) from None
