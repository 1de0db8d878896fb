"""Run one piece of work per shard, several at a time, one progress line per shard.

Each shard gets its own work dir under the target's (`shards/<shard>/`: root module links,
Terraform data dir, backend file, variables file, plan file), so shards share nothing but
the opened environment. With more than one shard, a shard's own progress lines are held
back (sesame.output.capture) and shown only if it fails; the first failure's error is
raised after every shard has finished (a failed shard never stops another mid-apply).
Ctrl-C (or SIGTERM) reaches every running shard's terraform at once (sesame.process), the
shards not started yet never start, and the run ends interrupted once the running ones
have saved their state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sesame import output, process
from sesame.config import Config
from sesame.errors import FatalError
from sesame.target import Target, private_dir
from sesame.tf import state

T = TypeVar("T")
DEFAULT_PARALLELISM = 4
SHOWN_LINES = 20  # of a failed shard's held-back progress


def shard_target(target: Target, shard: str) -> Target:
    """The target as one shard's run sees it: the same environment, its own work dir."""
    return dataclasses.replace(target, workdir=private_dir(target.workdir / "shards" / shard))


def idle(part: Config, target: Target) -> bool:
    """A domain shard with no domain and no state (a hashed shard nothing landed in yet):
    nothing to plan, apply or refresh, so no Terraform run (one state read)."""
    if part.account_resources or part.domains:
        return False
    return not (state.document(part, target).get("resources") or [])


@dataclass
class Outcome(Generic[T]):
    shard: str
    value: T | None = None
    error: BaseException | None = None
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list, repr=False)


def _one(shard: str, work: Callable[[str], T], held: bool) -> Outcome[T]:
    started = time.monotonic()
    got: Outcome[T] = Outcome(shard)
    with output.capture() if held else contextlib.nullcontext([]) as lines:
        try:
            got.value = work(shard)
        except Exception as exc:  # reported per shard, the first raised after all finish
            got.error = exc
    got.lines = list(lines)
    got.seconds = time.monotonic() - started
    return got


def run(
    shards: list[str],
    work: Callable[[str], T],
    describe: Callable[[T], str],
    *,
    parallelism: int = DEFAULT_PARALLELISM,
) -> list[Outcome[T]]:
    """`work(shard)` for each shard, at most `parallelism` at once; one line per shard as it
    finishes (`describe` of its result). Returns the outcomes in `shards` order, or raises
    the first failed shard's error once all have stopped."""
    held = len(shards) > 1
    outcomes: dict[str, Outcome[T]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="shard")
    try:
        futures: dict[Future[Outcome[T]], str] = {
            pool.submit(_one, s, work, held): s for s in shards
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            if process.interrupted():  # passed on to the running shards' terraform
                for future in pending:
                    future.cancel()  # the shards not started yet never start
            for future in done:
                if future.cancelled():
                    continue
                got = future.result()  # a shard's Interrupted is raised here
                outcomes[got.shard] = got
                if got.error is None and got.value is not None:
                    said = describe(got.value)
                else:
                    said = f"FAILED: {got.error}"
                output.status(f"{output.elapsed()} shard {got.shard}: {said} ({got.seconds:.1f}s)")
    finally:  # on Ctrl-C too: the running shards stop on their own terms and are waited for
        pool.shutdown(wait=True, cancel_futures=True)
    process.raise_if_interrupted()  # even one whose KeyboardInterrupt Python dropped
    ordered = [outcomes[s] for s in shards]
    failed = [o for o in ordered if o.error is not None]
    for o in failed if held else []:
        if not o.lines:  # failed before its first line: its one-line error says it all
            continue
        output.status(f"--- shard {o.shard}: its last progress lines ---")
        for line in o.lines[-SHOWN_LINES:]:
            output.status(line)
    if failed:
        first = failed[0].error
        assert first is not None
        if len(failed) > 1 and isinstance(first, FatalError):
            others = ", ".join(o.shard for o in failed[1:])
            first.args = (f"shard {failed[0].shard}: {first} (also failed: {others})",)
        elif held and isinstance(first, FatalError):
            first.args = (f"shard {failed[0].shard}: {first}",)
        raise first
    return ordered
