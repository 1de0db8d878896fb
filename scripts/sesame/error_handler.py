"""Map errors to one line and an exit code (pre-commit's error_handler shape)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sesame.errors import FatalError
from sesame.process import Interrupted


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@contextmanager
def error_handler() -> Iterator[None]:
    try:
        yield
    except FatalError as exc:
        sys.stderr.write(f"sesame: {exc}\n")
        if exc.detail:
            sys.stderr.write(exc.detail.rstrip("\n") + "\n")
        raise Exit(exc.exit_code) from None
    except Interrupted as exc:
        sys.stderr.write(
            f"sesame: interrupted: {exc}, its state saved; fix: run the command again to "
            "finish (or `sesame destroy`)\n"
        )
        raise Exit(130) from None
    except KeyboardInterrupt:
        sys.stderr.write("sesame: interrupted\n")
        raise Exit(130) from None
