"""State on R2 has no versioning: every apply first copies the state object to a backup key."""

from __future__ import annotations

import copy
import json

from botocore.config import Config as BotoConfig

from sesame.config import Config
from sesame.errors import ConfigError
from sesame.sandbox.world import Sandbox
from sesame.target import workdir_for
from testing import Sesame, domain, make_config

CONFIG = make_config(
    domain("state.example", {"s-api": {"kind": "api", "from": ["a@state.example"]}})
)


def test_apply_backs_up_state_and_restore_puts_it_back(sesame: Sesame) -> None:
    sesame.write(CONFIG)
    sesame.ok("apply")  # first apply: no state yet, nothing to back up
    assert sesame.ok("state", "backups").stdout.strip() == ""

    changed = copy.deepcopy(CONFIG)
    changed["tags"] = {"team": "mail"}
    sesame.write(changed)
    applied = sesame.ok("apply")
    assert "state backed up to sesame/terraform.tfstate.backups/" in applied.stderr
    [backup] = sesame.ok("state", "backups").stdout.split()
    assert backup.startswith("sesame/terraform.tfstate.backups/") and backup.endswith(".tfstate")

    # Restore puts the backup's bytes back as the current state (after backing that up).
    sesame.ok("state", "restore", backup)
    backups = sesame.ok("state", "backups").stdout.split()
    assert len(backups) == 2
    cfg = Config.model_validate(changed)
    with Sandbox(workdir_for(sesame.top, "sandbox"), cfg) as sb:
        s3 = sb.client("s3", region="us-east-1", config=BotoConfig(s3={"addressing_style": "path"}))

        def read(key: str) -> dict:
            body = s3.get_object(Bucket=cfg.backend.bucket, Key=key)["Body"].read()
            return json.loads(body)

        current, restored = read(cfg.backend.key), read(backup)
    assert current == restored
    assert sesame("plan", "--detailed-exitcode").returncode == 0  # the world still matches

    bad = sesame("state", "restore", "sesame/terraform.tfstate.backups/nope.tfstate")
    assert bad.returncode == ConfigError.exit_code and "fix:" in bad.stderr
