"""A small IAM identity-policy evaluator: enough to authorise `ses:SendRawEmail` like AWS.

Rules (AWS's policy evaluation logic, identity policies only):
- an explicit Deny in any statement wins, then any Allow, else the request is implicitly
  denied;
- Action/NotAction match case-insensitively, Resource/NotResource case-sensitively, both
  with the IAM wildcards `*` and `?`; a statement with neither Resource nor NotResource
  never matches;
- Condition blocks AND their operators and keys and OR the values of one key. Supported
  operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
  StringNotEqualsIgnoreCase, StringLike, StringNotLike (each also with `IfExists` and the
  `ForAnyValue:`/`ForAllValues:` qualifiers) and Null. A key absent from the request makes
  a positive operator false and a negated one true.
- Policy variables in Resource/NotResource (`${aws:username}`) are replaced from the request
  context; one the context lacks makes that resource pattern match nothing.
- Fail closed: a statement this evaluator cannot understand (unknown operator, malformed
  block) never grants, and when it is a Deny it denies.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ALLOW: Literal["Allow"] = "Allow"
EXPLICIT_DENY: Literal["ExplicitDeny"] = "ExplicitDeny"
IMPLICIT_DENY: Literal["ImplicitDeny"] = "ImplicitDeny"
Decision = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]

ContextValue = str | Sequence[str]


class _Unsupported(Exception):
    """The statement uses something this evaluator does not implement."""


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM glob: `*` is any run of characters (also none), `?` exactly one."""
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _strings(value: Any) -> list[str]:
    items = _as_list(value)
    if not all(isinstance(item, str | int | float | bool) for item in items):
        raise _Unsupported(f"not a string or list of strings: {value!r}")
    # JSON booleans are spelled in lower case in the request context
    return [str(item).lower() if isinstance(item, bool) else str(item) for item in items]


# ---- condition operators ----------------------------------------------------------------

# name -> (negated, test(context value, policy value))
_STRING_OPERATORS = {
    "StringEquals": (False, lambda v, p: v == p),
    "StringNotEquals": (True, lambda v, p: v == p),
    "StringEqualsIgnoreCase": (False, lambda v, p: v.casefold() == p.casefold()),
    "StringNotEqualsIgnoreCase": (True, lambda v, p: v.casefold() == p.casefold()),
    "StringLike": (False, lambda v, p: wildcard_match(p, v)),
    "StringNotLike": (True, lambda v, p: wildcard_match(p, v)),
}


def _lookup(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    """Condition keys are case-insensitive; values are kept as given."""
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            return [value] if isinstance(value, str) else list(value)
    return None


def _condition(operator: str, key: str, wanted: Any, context: Mapping[str, ContextValue]) -> bool:
    values = _lookup(context, key)
    policy_values = _strings(wanted)
    if operator == "Null":
        absent = values is None or len(values) == 0
        return all((value.lower() == "true") == absent for value in policy_values)

    qualifier, _, base = operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise _Unsupported(f"unknown condition qualifier {qualifier}")
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base.removesuffix("IfExists")
    if base not in _STRING_OPERATORS:
        raise _Unsupported(f"unknown condition operator {operator}")
    negated, test = _STRING_OPERATORS[base]

    def single(value: str) -> bool:
        hit = any(test(value, policy_value) for policy_value in policy_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(single(value) for value in values or [])
    if qualifier == "ForAnyValue":
        return any(single(value) for value in values or [])
    if values is None or len(values) == 0:
        return if_exists or negated
    if negated:
        return all(single(value) for value in values)
    return any(single(value) for value in values)


def _conditions_hold(block: Any, context: Mapping[str, ContextValue]) -> bool:
    if block is None:
        return True
    if not isinstance(block, Mapping):
        raise _Unsupported("Condition is not an object")
    for operator, keys in block.items():
        if not isinstance(keys, Mapping):
            raise _Unsupported(f"Condition {operator} is not an object")
        for key, wanted in keys.items():
            if not _condition(operator, key, wanted, context):
                return False
    return True


# ---- statements ---------------------------------------------------------------------------


def _matches_any(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(wildcard_match(p, value, ignore_case=ignore_case) for p in _strings(patterns))


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _substituted(pattern: str, context: Mapping[str, ContextValue]) -> str | None:
    """`pattern` with its policy variables replaced; None when the context lacks one."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        if match.group(1) in ("*", "?", "$"):
            raise _Unsupported("policy variable escapes are not supported")
        found = _lookup(context, match.group(1))
        if not found or len(found) != 1:
            missing = True
            return ""
        return found[0]

    replaced = _VARIABLE.sub(value, pattern)
    return None if missing else replaced


def _resource_matches(patterns: Any, request: Request) -> bool:
    for pattern in _strings(patterns):
        replaced = _substituted(pattern, request.context)
        if replaced is not None and wildcard_match(replaced, request.resource):
            return True
    return False


def _element(statement: Mapping[str, Any], positive: str, negative: str) -> tuple[Any, bool]:
    """The element and whether it is the Not- form; exactly one of the two must be there."""
    has_positive, has_negative = positive in statement, negative in statement
    if has_positive == has_negative:
        raise _Unsupported(f"a statement needs exactly one of {positive}/{negative}")
    if has_positive:
        return statement[positive], False
    return statement[negative], True


def _statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    actions, not_action = _element(statement, "Action", "NotAction")
    if _matches_any(actions, request.action, ignore_case=True) == not_action:
        return False
    resources, not_resource = _element(statement, "Resource", "NotResource")
    if _resource_matches(resources, request) == not_resource:
        return False
    return _conditions_hold(statement.get("Condition"), request.context)


def _statements(document: str | Mapping[str, Any]) -> list[Any]:
    if isinstance(document, str):
        document = json.loads(document)
    if not isinstance(document, Mapping):
        raise _Unsupported("a policy document is a JSON object")
    return _as_list(document.get("Statement", []))


def evaluate(documents: Iterable[str | Mapping[str, Any]], request: Request) -> Decision:
    """The decision of a set of identity policies (JSON text or parsed) on one request."""
    allowed = False
    for document in documents:
        try:
            statements = _statements(document)
        except (ValueError, _Unsupported):
            continue  # an unreadable document grants nothing (and cannot name a Deny)
        for statement in statements:
            if not isinstance(statement, Mapping):
                continue
            effect = statement.get("Effect")
            try:
                applies = _statement_applies(statement, request)
            except _Unsupported:
                applies = effect == "Deny"  # fail closed both ways
            if not applies:
                continue
            if effect == "Deny":
                return EXPLICIT_DENY
            if effect == "Allow":
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def is_allowed(documents: Iterable[str | Mapping[str, Any]], request: Request) -> bool:
    return evaluate(documents, request) == ALLOW
