"""sesame plan --report on real plans from the sandbox."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import pytest
from markupsafe import escape

from browser import render
from sesame import credentials, report, secrets
from sesame.config import Config
from sesame.errors import ConfigError
from sesame.sandbox import keys, world
from sesame.target import workdir_for
from testing import Sesame, example_config, make_config


def test_report_of_a_real_change_matches_terraform_and_hides_every_secret(
    applied_example: Sesame, tmp_path: Path
) -> None:
    sesame, config = applied_example, example_config()
    creds = credentials.load(sesame.top / ".sesame/sandbox/credentials.yaml", keys.age_key())

    changed = copy.deepcopy(config)
    del changed["domains"]["example.org"]  # destroys an identity and its records
    # The role sender moves to another role: its role policy is replaced (role forces it).
    changed["domains"]["example.com"]["senders"]["web-ec2"] = {
        "kind": "role",
        "role": "Web-Role",
        "from": ["web@example.com"],
    }
    changed["domains"]["example.com"]["dmarc"]["policy"] = "reject"
    changed["domains"]["example.com"]["senders"]["app-api"]["from"].append("ceo@example.com")
    sesame.write(changed)
    # Someone renames a record sesame manages and sets its TTL, outside sesame.
    with world.Sandbox(workdir_for(sesame.top, "sandbox"), Config.model_validate(config)) as sb:
        zone = sb.cloudflare.zone_by_name("example.com")
        [spf] = [
            r
            for r in sb.cloudflare.records(zone.id)
            if r.name == "mail.example.com" and r.type == "TXT"
        ]
        sb.cloudflare.edit_dns_record(
            sb.cf_account, zone.id, spf.id, {"name": "bounce.example.com", "ttl": 300}
        )
    proc = sesame.ok("plan", "--report", "rep")
    rep = json.loads((sesame.top / "rep/report.json").read_text())

    # The terminal lists each planned change once, sorted, DNS and IAM updates old → new.
    listed = [ln.split()[1] for ln in proc.stderr.splitlines() if re.match(r"^ +\w+  module\.", ln)]
    assert listed == sorted(set(listed)) and len(listed) == len(rep["changes"])
    assert (
        'content: "v=DMARC1; p=quarantine' in proc.stderr and '→ "v=DMARC1; p=reject' in proc.stderr
    )
    assert "from: + ceo@example.com" in proc.stderr
    assert "name: bounce.example.com → mail.example.com" in proc.stderr  # put back
    assert "TTL: 300 → auto" in proc.stderr
    # What changed outside sesame, in the same terms, and nothing else (no SES progress).
    assert "changed outside sesame since the last apply: 1 object(s)" in proc.stderr
    assert "name: mail.example.com → bounce.example.com" in proc.stderr
    [drift] = rep["drift"]
    assert (
        drift["address"]
        == 'module.cloudflare.cloudflare_dns_record.this["example.com/mail_from_spf"]'
    )
    assert {c["label"]: (c["old"], c["new"]) for c in drift["changes"]} == {
        "name": ("mail.example.com", "bounce.example.com"),
        "TTL": ("auto", "300"),
    }
    renamed = next(d for d in rep["dns"] if d["record"] == "mail_from_spf")
    assert (renamed["old_name"], renamed["new_name"]) == ("bounce.example.com", "mail.example.com")
    # Which environment, when and from which commit (this temp dir is not a checkout).
    assert rep["environment"] == "sandbox" and rep["commit"] == "not a git checkout"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rep["created_at"])

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
    assert c["replace"] == 1 and c["delete"] > 1
    reasons = {b["reason"] for b in rep["banner"] if b["action"] == "delete"}
    assert reasons == {"its key is gone from the configuration"}
    (replaced,) = [b for b in rep["banner"] if b["action"] == "replace"]
    assert replaced["address"] == 'module.aws.aws_iam_role_policy.this["web-ec2"]'
    assert replaced["reason"] == "a change forces replacement: role"
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
    assert "Environment **sandbox**" in md and "commit `not a git checkout`" in md
    assert "`bounce.example.com` → `mail.example.com`" in md and "`300` → `auto`" in md
    assert "#### Changed outside sesame" in md and "TTL: `auto` → `300`" in md
    assert "+    ceo@example.com" in md  # the policy as a diff
    # The gates `sesame apply` will stop on are in the report, one line each.
    assert any("would delete" in g and "aws_sesv2_email_identity" in g for g in rep["gates"])
    assert "Policy gates" in md

    # report.html: one self-contained page with the same content, as a browser shows it.
    page = sesame.top / "rep/report.html"
    before = "section#changes details pre"
    shown = render(page, tmp_path / "report.png", ["dns", "iam", "ses", "changes"], (before,))
    assert shown.printed[before] == (False, True)  # folded on screen, all there on paper
    assert shown.requests == [page.resolve().as_uri()]  # nothing fetched but the page itself
    width, height = shown.size
    for sid, heading in (("dns", "DNS"), ("iam", "IAM")):
        box = shown.sections[sid]["box"]
        assert shown.sections[sid]["visible"] and shown.sections[sid]["heading"] == heading
        assert box["height"] > 50 and box["y"] + box["height"] <= height  # in the screenshot
        assert box["width"] > 500 and box["x"] + box["width"] <= width
    dns_text, iam_text = shown.sections["dns"]["text"], shown.sections["iam"]["text"]
    assert "_dmarc.example.com" in dns_text and "p=quarantine" in dns_text
    assert "p=reject" in dns_text and "Zone example.org" in dns_text
    assert "300 → auto" in dns_text and "bounce.example.com" in dns_text
    page_text = page.read_text()
    assert "<dt>environment</dt><dd>sandbox</dd>" in page_text and rep["created_at"] in page_text
    assert "widened" in iam_text and "ceo@example.com" in iam_text
    assert "RSA_2048_BIT" in shown.sections["ses"]["text"]
    assert len(rep["changes"]) == shown.sections["changes"]["text"].count("module.")

    # No secret value in any form: provider/backend keys, sender secrets, SMTP passwords.
    values = secrets.load(keys.SECRETS_FILE, keys.age_key()).secret_values()
    values += credentials.secret_values(creds)
    for path in (sesame.top / "rep").iterdir():
        text = path.read_text()
        assert not [v[:4] for v in values if v in text], path
    assert not [v[:4] for v in values if v in proc.stdout + proc.stderr]
    # Unknown values read as such, never null.
    assert report.UNKNOWN in (sesame.top / "rep/report.json").read_text()
    assert rep["format_version"] == "1.1"


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


N_DOMAINS = 60


def test_markdown_of_a_real_big_plan_stays_under_the_comment_limit_and_links_the_rest(
    sesame: Sesame,
) -> None:
    # Long names (DNS allows 63 per label) reach GitHub's limit with far fewer domains than
    # short ones would: each domain's records, policies and addresses are named in full.
    long = "-".join(["tenant"] * 9)  # 62 characters
    names = [f"d{i:03}.{long}.{long[::-1]}.example" for i in range(N_DOMAINS)]
    domains = {
        name: {
            "dmarc": {"policy": "quarantine"},
            "senders": {
                f"a{i:03}-{long[:51]}": {"kind": "smtp", "from": [f"noreply-{long[:55]}@{name}"]}
            },
        }
        for i, name in enumerate(names)
    }
    sesame.write(make_config(domains))
    link = "https://ci.example/sesame/runs/1#artifacts"
    proc = sesame.ok("plan", "--report", "rep", "--report-link", link)
    rep = json.loads((sesame.top / "rep/report.json").read_text())
    md = (sesame.top / "rep/report.md").read_text()
    add = int(re.search(r"(\d+) to add", proc.stdout).group(1))
    assert rep["counts"]["create"] == add > N_DOMAINS * 15
    assert len(report.markdown(rep, link, limit=10**9)) > report.COMMENT_LIMIT  # must fold

    assert len(md) < report.COMMENT_LIMIT
    # Nothing is cut silently: every section is there, whole or summarised, with the link.
    dns, iam = (
        f"DNS: {7 * N_DOMAINS} record(s) in {N_DOMAINS} zone(s)",
        f"IAM: {N_DOMAINS} sender polic(ies)",
    )
    for title in (dns, iam, "SES: "):
        assert f"\n#### {title}" in md
    assert f"see the full report ({link})" in md and md.endswith(f"_Full report: {link}_\n")
    assert all(f"`{d}`" in md for d in domains)  # the per-zone DNS summary names every zone
    # What the comment folds, the linked page holds: every change.
    page = (sesame.top / "rep/report.html").read_text()
    assert all(str(escape(c["address"])) in page for c in rep["changes"])


def test_html_report_shows_hostile_values_as_text_and_loads_nothing(tmp_path: Path) -> None:
    plan = _synthetic_plan(1)
    hostile = '<img src="http://198.51.100.7/pixel.png"><script>document.title="owned"</script>'
    plan["resource_changes"][0]["change"]["after"]["content"] = hostile
    built = report.build(plan, {"lineage": "l", "serial": 1, "providers": {}}, [])
    report.write(built, tmp_path)
    page = tmp_path / "report.html"
    shown = render(page, tmp_path / "hostile.png", ["dns"])
    assert shown.requests == [page.resolve().as_uri()]
    assert shown.title.startswith("sesame plan ")
    assert hostile in shown.sections["dns"]["text"]


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


def test_banner_gives_terraforms_reason_and_the_attributes_forcing_a_replacement() -> None:
    plan = _synthetic_plan(1)
    change = plan["resource_changes"][0]
    change["change"]["actions"] = ["delete", "create"]
    change["change"]["replace_paths"] = [["name"], ["type"]]
    change["action_reason"] = "replace_because_cannot_update"
    built = report.build(plan, {"lineage": "l", "serial": 1, "providers": {}}, [])
    (banner,) = built["banner"]
    assert banner["action"] == "replace" and banner["code"] == "replace_because_cannot_update"
    assert banner["reason"] == "a change forces replacement: name, type"
    assert "**replace**" in report.markdown(built) and banner["reason"] in report.markdown(built)


def test_a_banner_too_long_for_one_comment_counts_the_rest_and_links_them() -> None:
    plan = _synthetic_plan(400)  # 2,800 records, every one deleted
    for rc in plan["resource_changes"]:
        rc["change"].update(actions=["delete"], before=rc["change"]["after"], after=None)
        rc["action_reason"] = "delete_because_each_key"
    built = report.build(plan, {"lineage": "l", "serial": 1, "providers": {}}, [])
    md = report.markdown(built, "https://ci.example/run/7")
    assert len(md) < report.COMMENT_LIMIT and "**2800 destructive change(s)**" in md
    listed = md.count("> - **delete**")
    assert 100 < listed < 2800
    assert f"> - … and {2800 - listed} more: see the full report (https://ci.example/run/7)" in md


def test_provenance_names_the_commit_of_a_git_checkout(tmp_path: Path) -> None:
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "sesame.yaml").write_text("region: eu-west-1\n")
    subprocess.run([*git, "add", "sesame.yaml"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    made = report.provenance("production", tmp_path)
    assert made["environment"] == "production" and made["commit"] == head.strip()
    (tmp_path / "sesame.yaml").write_text("region: us-east-1\n")
    assert report.provenance("production", tmp_path)["commit"].endswith(
        " (with uncommitted changes)"
    )
    assert report.provenance("sandbox", tmp_path / "nowhere")["commit"] == "not a git checkout"


def test_drift_that_is_only_null_against_empty_or_ses_progress_is_not_drift() -> None:
    def drifted(kind: str, before: dict, after: dict) -> dict:
        return {
            "address": f"{kind}.this",
            "type": kind,
            "change": {"actions": ["update"], "before": before, "after": after},
        }

    plan = _synthetic_plan(0)
    plan["resource_drift"] = [
        drifted(
            "aws_cloudwatch_metric_alarm",
            {"dimensions": None, "insufficient_data_actions": None, "threshold": 0.05},
            {"dimensions": {}, "insufficient_data_actions": [], "threshold": 0.05},
        ),
        drifted(
            "aws_sesv2_email_identity",
            {
                "verified_for_sending_status": False,
                "dkim_signing_attributes": [{"status": "PENDING"}],
            },
            {
                "verified_for_sending_status": True,
                "dkim_signing_attributes": [{"status": "SUCCESS"}],
            },
        ),
        drifted(
            "aws_sesv2_email_identity",
            {"configuration_set_name": "a", "dkim_signing_attributes": [{"status": "PENDING"}]},
            {"configuration_set_name": "b", "dkim_signing_attributes": [{"status": "SUCCESS"}]},
        ),
    ]
    built = report.build(plan, {"lineage": "l", "serial": 1, "providers": {}}, [])
    [moved] = built["drift"]
    assert moved["changes"] == [{"label": "configuration set", "old": "a", "new": "b"}]
