"""sesame plan --report on real plans from the sandbox."""

from __future__ import annotations

import copy
import json
import re

import pytest

from sesame import credentials, report, secrets
from sesame.errors import ConfigError
from sesame.sandbox import world
from testing import Sesame, example_config


def test_report_of_a_real_change_matches_terraform_and_hides_every_secret(sesame: Sesame) -> None:
    config = example_config()
    sesame.write(config)
    sesame.ok("apply")
    creds = credentials.load(
        sesame.top / ".sesame/sandbox/credentials.yaml", world.KEY_FILE.read_text()
    )

    changed = copy.deepcopy(config)
    del changed["domains"]["example.org"]  # destroys an identity, its records, a role policy
    changed["domains"]["example.com"]["dmarc"]["policy"] = "reject"
    changed["domains"]["example.com"]["senders"]["app-api"]["from"].append("ceo@example.com")
    sesame.write(changed)
    proc = sesame.ok("plan", "--report", "rep")
    rep = json.loads((sesame.top / "rep/report.json").read_text())

    # Counts agree with Terraform's own change summary.
    add, change, destroy = map(
        int, re.search(r"(\d+) to add, (\d+) to change, (\d+) to destroy", proc.stdout).groups()
    )
    c = rep["counts"]
    assert (c.get("create", 0) + c.get("replace", 0), c.get("update", 0)) == (add, change)
    assert c.get("delete", 0) + c.get("replace", 0) == destroy > 0
    # Every delete and replace is in the banner, with a reason.
    destructive = {ch["address"] for ch in rep["changes"] if ch["action"] in ("delete", "replace")}
    assert {b["address"] for b in rep["banner"]} == destructive
    assert all(b["reason"] for b in rep["banner"])
    # DNS in the reader's terms: the DMARC change, old -> new.
    dmarc = next(d for d in rep["dns"] if d["name"] == "_dmarc.example.com")
    assert dmarc["old"].startswith('"v=DMARC1; p=quarantine') and dmarc["new"].startswith(
        '"v=DMARC1; p=reject'
    )
    # IAM: the widened From list is flagged.
    api = next(p for p in rep["iam"] if '"app-api"' in p["address"])
    assert api["widened"] == {"from": ["ceo@example.com"]}
    md = (sesame.top / "rep/report.md").read_text()
    assert "widened" in md and "[!CAUTION]" in md and rep["digest"] in md

    # No secret value in any form: provider/backend keys, sender secrets, SMTP passwords.
    values = secrets.load(world.SECRETS_FILE, world.KEY_FILE.read_text()).secret_values()
    values += credentials.secret_values(creds)
    for path in (sesame.top / "rep").iterdir():
        text = path.read_text()
        assert not [v[:4] for v in values if v in text], path
    assert not [v[:4] for v in values if v in proc.stdout + proc.stderr]
    # Unknown values read as such, never null.
    assert report.UNKNOWN in (sesame.top / "rep/report.json").read_text()
    sesame.write(config)
    sesame.ok("destroy")


def _synthetic_plan(domains: int) -> dict:
    changes = []
    for d in range(domains):
        for key in ("dkim1", "dkim2", "dkim3", "mail_from_mx", "mail_from_spf", "spf", "dmarc"):
            changes.append(
                {
                    "address": f'module.cloudflare.cloudflare_dns_record.this["d{d}.ex/{key}"]',
                    "type": "cloudflare_dns_record",
                    "change": {
                        "actions": ["create"],
                        "before": None,
                        "after": {
                            "name": f"{key}.d{d}.example",
                            "type": "TXT",
                            "zone_id": "z" * 32,
                            "content": f'"v=spf1 include:amazonses.com ~all {key}"',
                        },
                        "after_unknown": {"id": True},
                        "before_sensitive": False,
                        "after_sensitive": {},
                    },
                }
            )
    return {"format_version": "1.2", "terraform_version": "1.11.4", "resource_changes": changes}


def test_markdown_for_300_domains_stays_under_the_comment_limit_and_links_the_rest() -> None:
    built = report.build(_synthetic_plan(300), {"lineage": "l", "serial": 1, "providers": {}}, [])
    md = report.markdown(built)
    assert len(md) < report.COMMENT_LIMIT
    assert "see the full report (report.html)" in md and "2100 create" in md


def test_digest_changes_with_the_plan_and_not_with_rendering() -> None:
    facts = {
        "lineage": "l",
        "serial": 1,
        "providers": {"registry.terraform.io/hashicorp/aws": "5.100.0"},
    }
    one, two = _synthetic_plan(2), _synthetic_plan(3)
    assert report.digest(one, facts) == report.digest(json.loads(json.dumps(one)), facts)
    assert report.digest(one, facts) != report.digest(two, facts)
    assert report.digest(one, facts) != report.digest(one, {**facts, "serial": 2})


def test_plan_json_format_2_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"format 2\.0 is not supported"):
        report.build({"format_version": "2.0"}, {}, [])


def test_values_marked_sensitive_or_equal_to_a_known_secret_are_masked() -> None:
    value = {"a": "s3cret", "b": ["x", "hunter2"], "c": "plain"}
    masked = report.mask(value, {"a": True}, {"d": True}, frozenset({"hunter2"}))
    assert masked == {
        "a": report.SENSITIVE,
        "b": ["x", report.SECRET],
        "c": "plain",
        "d": report.UNKNOWN,
    }
