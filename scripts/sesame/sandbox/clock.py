"""The sandbox's test clock: let time pass for IAM access keys without waiting.

`age_keys(workdir, days)` moves the creation date of every access key in the saved world
back by `days`, as if that many days had passed since they were made, so the 90-day
rotation path (`verify --max-key-age 90d`) is tested the day the keys are created.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from moto.backends import get_backend

from sesame.sandbox import snapshot


def age_keys(workdir: Path, days: float, users: list[str] | None = None) -> int:
    """Age the keys of `users` (default: every IAM user) in the saved world; how many moved."""
    world_file = workdir / "sandbox-world.age"
    restored = snapshot.restore(world_file)
    if restored is None:
        raise FileNotFoundError(f"{world_file}: no saved sandbox world (apply first)")
    ses, cloudflare = restored
    moved = 0
    for _, _, iam in get_backend("iam").iter_backends():
        for name, user in iam.users.items():
            if users is not None and name not in users:
                continue
            for key in user.access_keys:
                key.create_date = key.create_date - timedelta(days=days)
                moved += 1
    snapshot.save(world_file, ses, cloudflare)
    return moved
