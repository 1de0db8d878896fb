"""Request validation driven by botocore's own service model for sesv2.

`validate(operation, params)` walks the operation's input shape recursively and checks
required members, types, enums, string/list lengths, numeric ranges and patterns. Failures
are collected and raised as one BadRequestException with the Coral-style message real AWS
uses: `1 validation error detected: Value 'x' at 'a.b' failed to satisfy constraint: ...`.

The model omits a few limits SES documents and enforces; EXTRA_CONSTRAINTS adds them by
shape name, so the walk stays generic.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from .exceptions import BadRequestException

_NAME_PATTERN = r"^[a-zA-Z0-9_-]+$"

# Documented SES limits missing from the botocore model, keyed by shape name.
EXTRA_CONSTRAINTS: dict[str, dict[str, Any]] = {
    "ConfigurationSetName": {"min": 1, "max": 64, "pattern": _NAME_PATTERN},
    "EventDestinationName": {"min": 1, "max": 64, "pattern": _NAME_PATTERN},
    "TagKey": {"min": 1, "max": 128},
    "TagValue": {"max": 256},
    "TagList": {"max": 50},
}


@functools.lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("sesv2")


def operation_model(operation: str) -> OperationModel:
    return service_model().operation_model(operation)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return str(value)


def _constraints(shape: Shape) -> dict[str, Any]:
    merged = {k: shape.metadata[k] for k in ("min", "max", "pattern") if k in shape.metadata}
    merged.update(EXTRA_CONSTRAINTS.get(shape.name, {}))
    return merged


class _Walker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        shown = "null" if value is None else f"'{_render(value)}'"
        self.errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def walk(self, shape: Shape, value: Any, path: str) -> None:
        kind = shape.type_name
        check = getattr(self, f"_check_{kind}", None)
        if check is not None:
            check(shape, value, path)

    def _check_structure(self, shape: StructureShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(value, path, "Member must be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                self.fail(None, self._join(path, name), "Member must not be null")
        if shape.metadata.get("union") and sum(v is not None for v in value.values()) > 1:
            self.fail(value, path, "Member must have exactly one member set")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                self.walk(member, value[name], self._join(path, name))

    def _check_list(self, shape: ListShape, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(value, path, "Member must be a list")
            return
        self._length(shape, value, path)
        for index, item in enumerate(value, start=1):
            self.walk(shape.member, item, f"{path}.{index}.member")

    def _check_map(self, shape: MapShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(value, path, "Member must be a map")
            return
        self._length(shape, value, path)
        for key, item in value.items():
            self.walk(shape.key, key, f"{path}.key")
            self.walk(shape.value, item, f"{path}.{key}")

    def _check_string(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.fail(value, path, "Member must be of type string")
            return
        enum = shape.enum
        if enum and value not in enum:
            self.fail(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
            return
        self._length(shape, value, path)
        pattern = _constraints(shape).get("pattern")
        if pattern and re.search(pattern, value) is None:
            self.fail(value, path, f"Member must satisfy regular expression pattern: {pattern}")

    def _check_integer(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(value, path, f"Member must be of type {shape.type_name}")
            return
        self._bounds(shape, value, path, value, "value")

    _check_long = _check_integer

    def _check_boolean(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.fail(value, path, "Member must be of type boolean")

    def _check_timestamp(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(value, path, "Member must be of type timestamp")

    def _check_double(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(value, path, f"Member must be of type {shape.type_name}")

    _check_float = _check_double

    def _length(self, shape: Shape, value: Any, path: str) -> None:
        self._bounds(shape, value, path, len(value), "length")

    def _bounds(self, shape: Shape, value: Any, path: str, size: int, what: str) -> None:
        limits = _constraints(shape)
        low, high = limits.get("min"), limits.get("max")
        if low is not None and size < low:
            self.fail(value, path, f"Member must have {what} greater than or equal to {low}")
        if high is not None and size > high:
            self.fail(value, path, f"Member must have {what} less than or equal to {high}")

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{_camel(name)}" if path else _camel(name)


def validate(operation: str, params: dict[str, Any]) -> None:
    """Raise BadRequestException if `params` does not fit the operation's input shape."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return
    walker = _Walker()
    walker.walk(shape, params, "")
    if walker.errors:
        count = len(walker.errors)
        noun = "error" if count == 1 else "errors"
        detail = "; ".join(walker.errors)
        raise BadRequestException(f"{count} validation {noun} detected: {detail}")
