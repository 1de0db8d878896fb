"""Every bad configuration: one line naming the file, the key and the fix; exit 2; nothing run."""

from __future__ import annotations

import copy

import pytest

from testing import Sesame, example_config


def _with(mutate) -> dict:
    cfg = copy.deepcopy(example_config())
    mutate(cfg)
    return cfg


def _sender(cfg: dict) -> dict:
    return cfg["domains"]["example.com"]["senders"]["app-smtp"]


CASES = {
    "unknown top-level key": (lambda c: c.update(regoin="eu-west-1"), "regoin", "unknown key"),
    "unknown sender key": (
        lambda c: _sender(c).update(form=["x@example.com"]),
        "app-smtp.form",
        "unknown key",
    ),
    "bad domain": (
        lambda c: c["domains"].update({"Exa mple..com": {}}),
        "domains",
        "is not a domain name",
    ),
    "domain with scheme": (
        lambda c: c["domains"].update({"https://example.net": {}}),
        "domains",
        "is not a domain name",
    ),
    "bad address": (
        lambda c: _sender(c).update({"from": ["not-an-address"]}),
        "from",
        "is not an email address",
    ),
    "address outside its domain": (
        lambda c: _sender(c).update({"from": ["noreply@evil.example"]}),
        "app-smtp.from",
        "is outside example.com",
    ),
    "bad region": (lambda c: c.update(region="eu-west-9"), "region", "not a region where SES"),
    "missing backend": (lambda c: c.pop("backend"), "backend", "required key is missing"),
    "bad R2 account id": (
        lambda c: c["backend"].update(account_id="nope"),
        "backend.account_id",
        "not a Cloudflare account ID",
    ),
    "role sender without role": (
        lambda c: c["domains"]["example.org"]["senders"]["web-ec2"].pop("role"),
        "web-ec2",
        "needs `role",
    ),
    "duplicate sender names": (
        lambda c: c["domains"]["example.org"]["senders"].update(
            {"app-smtp": {"kind": "smtp", "from": ["a@example.org"]}}
        ),
        "domains.example.org.senders.app-smtp",
        "must be unique",
    ),
    "bad dmarc policy": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(policy="block"),
        "dmarc.policy",
        "'block' is not allowed",
    ),
    "bad dmarc report uri": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(rua=["dmarc@example.com"]),
        "dmarc.rua",
        "mailto:",
    ),
    "bad sender kind": (lambda c: _sender(c).update(kind="ses"), "kind", "'ses' is not allowed"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("verb", ["plan", "apply"])
def test_bad_config_is_one_line_exit_2_and_nothing_runs(
    sesame: Sesame, case: str, verb: str
) -> None:
    mutate, key, words = CASES[case]
    sesame.write(_with(mutate))
    proc = sesame(verb)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    [line] = lines
    assert line.startswith("sesame: sesame.yaml:"), line
    assert key in line and words in line and "fix:" in line, line
    assert not (sesame.top / ".sesame").exists()  # no sandbox, no terraform, no work dir


def test_malformed_yaml_is_one_line(sesame: Sesame) -> None:
    sesame.write("region: eu-west-1\ndomains:\n  example.com: [\n")
    proc = sesame("plan")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "sesame: sesame.yaml: line 4 is not valid YAML; fix: check indentation and quoting"
    )


def test_missing_config_file_names_the_fix(sesame: Sesame) -> None:
    proc = sesame("plan")
    assert proc.returncode == 2
    assert "sesame.yaml: no such file; fix:" in proc.stderr


def test_example_config_is_valid(sesame: Sesame) -> None:
    sesame.write(example_config())
    assert sesame.ok("validate").stdout.strip() == "sesame.yaml: ok (2 domain(s))"


@pytest.mark.parametrize(
    ("uri", "bad", "encoded"),
    [
        ('mailto:dmarc"reports@example.com', "'\"'", "%22"),
        ("mailto:dmarc\\reports@example.com", repr("\\"), "%5C"),
        ("mailto:dmarc;reports@example.com", "';'", "%3B"),
        ("mailto:dmarc reports@example.com", "' '", "%20"),
        ("mailto:dmarc,reports@example.com", "','", "%2C"),
        ("mailto:dmärc@example.com", "'ä'", "%C3%A4"),
    ],
)
def test_dmarc_uri_that_would_break_the_txt_record_is_refused_at_validation(
    sesame: Sesame, uri: str, bad: str, encoded: str
) -> None:
    sesame.write(_with(lambda c: c["domains"]["example.com"]["dmarc"].update(rua=[uri])))
    proc = sesame("plan")
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "domains.example.com.dmarc.rua" in line and f"{bad} cannot stand in it" in line, line
    assert f"fix: percent-encode it as {encoded}" in line
    assert not (sesame.top / ".sesame").exists()
