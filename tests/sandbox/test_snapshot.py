"""The world between commands: what a command made is there for the next one, and a moto
service no command touched is neither imported nor lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STEP = """
import json, sys
from pathlib import Path
from moto.backends import get_backend
from sesame.sandbox import snapshot
from sesame.sandbox.cloudflare.models import CloudflareBackend
from sesame.sandbox.sesv2.models import SesV2Backend

world = Path(sys.argv[1])
step = sys.argv[2]
ACCOUNT, REGION = "123456789012", "eu-west-1"
restored = snapshot.restore(world)
ses, cloudflare = restored or (SesV2Backend(), CloudflareBackend(tokens={}))
seen = {}
if step == "write":
    get_backend("iam")[ACCOUNT]["global"].create_user("us-east-1", "tenant-app")
    get_backend("ssm")[ACCOUNT][REGION].put_parameter(
        "/apps/web/smtp", "", "v", "String", None, None, False, [], "text", None, None
    )
elif step == "read":
    iam = get_backend("iam")[ACCOUNT]["global"]
    seen["users"] = [u.name for u in iam.users.values()]
    seen["parameters"] = list(get_backend("ssm")[ACCOUNT][REGION]._parameters)
snapshot.save(world, ses, cloudflare)
seen["imported"] = sorted(m for m in ("moto.ssm", "moto.ec2", "moto.iam") if m in sys.modules)
print(json.dumps(seen))
"""


def _step(world: Path, step: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", STEP, str(world), step], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


def test_saving_imports_no_moto_service_the_command_did_not_touch(tmp_path: Path) -> None:
    world = tmp_path / "world.age"
    assert _step(world, "nothing")["imported"] == []
    assert world.exists()


def test_a_service_a_later_command_never_touches_keeps_what_an_earlier_one_made(
    tmp_path: Path,
) -> None:
    world = tmp_path / "world.age"
    assert _step(world, "write")["imported"] == ["moto.ec2", "moto.iam", "moto.ssm"]
    _step(world, "nothing")  # restores SSM (so imports it) and saves it again
    seen = _step(world, "read")
    assert seen["users"] == ["tenant-app"]
    assert seen["parameters"] == ["/apps/web/smtp"]
