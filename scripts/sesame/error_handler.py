"""Map errors to one line and an exit code (pre-commit's error_handler shape).

A FatalError is its own line and code. Anything else is a bug or an outside failure
sesame did not expect: one line naming what sesame was doing and how to see the
traceback (`--debug` or SESAME_DEBUG=1), exit InternalError.exit_code.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sesame.errors import (
    INTERRUPTED,
    FatalError,
    InternalError,
    refused,
    throttled,
    unreachable,
)
from sesame.process import Interrupted

# What sesame is doing now, innermost last: named in the one line of an unexpected error.
_doing: list[str] = []
_MESSAGE_LIMIT = 200


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@contextmanager
def doing(what: str) -> Iterator[None]:
    """Name the step in progress, e.g. `with doing("terraform init"):`."""
    _doing.append(what)
    try:
        yield
    except Exception as exc:
        # The steps unwind before the handler sees the error: remember where it happened.
        if not hasattr(exc, "sesame_doing"):
            with suppress(AttributeError):  # an exception type with __slots__
                exc.sesame_doing = list(_doing)  # type: ignore[attr-defined]
        raise
    finally:
        _doing.pop()


def debug_enabled(flag: bool = False) -> bool:
    return flag or os.environ.get("SESAME_DEBUG", "") not in ("", "0")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > _MESSAGE_LIMIT:
        text = text[:_MESSAGE_LIMIT] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextmanager
def error_handler(
    what: str = "running", *, debug: bool = False, writes_state: bool = True
) -> Iterator[None]:
    """`writes_state`: the command applies (Terraform saves state when it stops); a plan
    or a check leaves nothing to finish."""
    _doing.clear()
    _doing.append(what)
    try:
        yield
    except FatalError as exc:
        if debug_enabled(debug):
            traceback.print_exc()
        sys.stderr.write(f"sesame: {exc}\n")
        if exc.detail:
            sys.stderr.write(exc.detail.rstrip() + "\n")
        raise Exit(exc.exit_code) from None
    except Interrupted as exc:
        if writes_state:
            said = "its state saved; fix: run the command again to finish (or `sesame destroy`)"
        else:
            said = "nothing was changed; fix: run the command again"
        sys.stderr.write(f"sesame: interrupted: {exc}, {said}\n")
        raise Exit(INTERRUPTED) from None
    except KeyboardInterrupt:
        sys.stderr.write(
            "sesame: interrupted; fix: run the command again (`sesame plan` shows what is left)\n"
        )
        raise Exit(INTERRUPTED) from None
    except Exception as exc:
        where = unreachable(exc)
        if where is not None:  # the network, not a bug: one line, exit 1
            if debug_enabled(debug):
                traceback.print_exc()
            sys.stderr.write(
                f"sesame: {where} from this machine; fix: check this machine's network, DNS "
                "and proxy\n"
            )
            raise Exit(FatalError.exit_code) from None
        step = ": ".join(getattr(exc, "sesame_doing", None) or _doing)
        refusal = refused(exc) or throttled(exc)
        if refusal is not None:  # permissions or the account's rate, not a bug: one line, exit 1
            if debug_enabled(debug):
                traceback.print_exc()
            sys.stderr.write(f"sesame: while {step}: {refusal}\n")
            raise Exit(FatalError.exit_code) from None
        if debug_enabled(debug):
            traceback.print_exc()
            hint = "the traceback is above"
        else:
            hint = "rerun with --debug (or SESAME_DEBUG=1) for the traceback"
        sys.stderr.write(f"sesame: unexpected error while {step}: {_one_line(exc)}; {hint}\n")
        raise Exit(InternalError.exit_code) from None
    finally:
        _doing.clear()
