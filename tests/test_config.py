"""Every bad configuration: one line naming the file, the key and the fix; exit 3; nothing run."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sesame import config
from sesame.errors import ConfigError
from testing import REPO, Sesame, example_config


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
        "domains.Exa mple..com",
        "contains a space",
    ),
    "domain with scheme": (
        lambda c: c["domains"].update({"https://example.net": {}}),
        "domains.https://example.net",
        "is a URL, not a DNS name; fix: write only the name, 'example.net'",
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
    # IAM refuses a user's inline policies past 2,048 characters, a role's past 10,240; each
    # address adds its length plus 3 to the sender's policy (names.sender_policy_size)
    "sender's From list over IAM's user policy quota": (
        lambda c: _sender(c).update({"from": [f"noreply{i}@example.com" for i in range(80)]}),
        "app-smtp.from",
        "80 addresses make the sender's IAM policy about 2,",
    ),
    "role sender's From list over IAM's role policy quota": (
        lambda c: c["domains"]["example.org"]["senders"]["web-ec2"].update(
            {"from": [f"hello{i}@example.org" for i in range(500)]}
        ),
        "web-ec2.from",
        "over IAM's 10,240 for a role's inline policies",
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
    "sender names differing only in case": (
        lambda c: c["domains"]["example.org"]["senders"].update(
            {"App-SMTP": {"kind": "smtp", "from": ["a@example.org"]}}
        ),
        "senders.App-SMTP: the name is also used under example.com (as app-smtp; IAM ignores case)",
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
    "sender kind in uppercase": (
        lambda c: _sender(c).update(kind="SMTP"),
        "app-smtp.kind",
        "'SMTP' is not allowed; fix: write 'smtp'",
    ),
    "dmarc policy capitalised": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(policy="Quarantine"),
        "dmarc.policy",
        "'Quarantine' is not allowed; fix: write 'quarantine'",
    ),
    "MAIL FROM failure behaviour misspelt": (
        lambda c: c["domains"]["example.com"].update(behavior_on_mx_failure="REJECT"),
        "behavior_on_mx_failure",
        # the values as SES spells them: a case-folded hint would itself be refused
        "'REJECT' is not allowed; fix: write one of 'USE_DEFAULT_VALUE', 'REJECT_MESSAGE'",
    ),
    "empty from list": (
        lambda c: _sender(c).update({"from": []}),
        "app-smtp.from",
        "app-smtp.from: is empty; fix: list at least 1 entry",
    ),
    "bounce rate as a percentage": (
        lambda c: c["alarms"].update(bounce_rate=5),
        "alarms.bounce_rate",
        "alarms.bounce_rate: 5 is out of range; fix: use a value less than 1",
    ),
    "region in uppercase": (
        lambda c: c.update(region="EU-West-1"),
        "region",
        "'EU-West-1' has uppercase letters; fix: write 'eu-west-1'",
    ),
    "tag value YAML reads as a number": (
        lambda c: c["tags"].update(team=755),
        "tags.team",
        'YAML reads this value as a number, not text; fix: put it in quotes, e.g. "0123"',
    ),
    "tag value YAML reads as true": (
        lambda c: c["tags"].update(team=True),
        "tags.team",
        "YAML reads this value as true/false (so are yes, no, on and off), not text; fix: put "
        'it in quotes, e.g. "yes"',
    ),
    # A value of the wrong kind names the kind YAML read and how to write the right one
    # (not pydantic's words, and a true/yes is never counted as the number 1).
    "rate YAML reads as true": (
        lambda c: c["alarms"].update(bounce_rate=True),
        "alarms.bounce_rate",
        "YAML reads this value as true/false (so are yes, no, on and off), not a number; fix: "
        "write a number without quotes, e.g. 0.05",
    ),
    "rate written as a word": (
        lambda c: c["alarms"].update(bounce_rate="five"),
        "alarms.bounce_rate",
        "YAML reads 'five' as text, not a number; fix: write a number without quotes",
    ),
    "pct YAML reads as true": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(pct=True),
        "dmarc.pct",
        "not a number; fix: write a number without quotes, e.g. 100",
    ),
    "shard count written in quotes": (
        lambda c: c.update(shards={"count": "4"}),
        "shards.count",
        "YAML reads '4' as text, not a number",
    ),
    "tags as a list": (
        lambda c: c.update(tags=["platform"]),
        "tags",
        "tags: is a list, not a mapping of keys; fix: write its keys indented below `tags:`",
    ),
    "domains left empty": (
        lambda c: c.update(domains=None),
        "domains",
        "domains: is empty; fix: write its keys indented below `domains:`",
    ),
    "export given a bare word": (
        lambda c: _sender(c).update(export="nosuchpreset"),
        "app-smtp.export",
        "is the text 'nosuchpreset', not a mapping of keys; fix: write its keys indented below "
        "`export:`",
    ),
    "a zone that does not contain the domain": (
        lambda c: c["domains"]["example.org"].update(zone="other.example.net"),
        "domains.example.org.zone",
        "fix: name the Cloudflare zone example.org is in (e.g. example.org)",
    ),
    "one address instead of a list": (
        lambda c: _sender(c).update({"from": "noreply@example.com"}),
        "app-smtp.from",
        "'noreply@example.com' is one value, not a list; fix: write [noreply@example.com]",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("verb", ["plan", "apply"])
def test_bad_config_is_one_line_config_exit_code_and_nothing_runs(
    sesame: Sesame, case: str, verb: str
) -> None:
    mutate, key, words = CASES[case]
    sesame.write(_with(mutate))
    proc = sesame(verb)
    assert proc.returncode == ConfigError.exit_code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    [line] = lines
    assert line.startswith("sesame: sesame.yaml:"), line
    assert key in line and words in line and "fix:" in line, line
    assert not (sesame.top / ".sesame").exists()  # no sandbox, no terraform, no work dir


def test_malformed_yaml_is_one_line(sesame: Sesame) -> None:
    sesame.write("region: eu-west-1\ndomains:\n  example.com: [\n")
    proc = sesame("plan")
    assert proc.returncode == ConfigError.exit_code
    assert proc.stderr.strip() == (
        "sesame: sesame.yaml: line 3 column 16: the [ opened here is never closed; fix: close "
        "it with ]"
    )


def test_missing_config_file_names_the_fix(sesame: Sesame) -> None:
    proc = sesame("plan")
    assert proc.returncode == ConfigError.exit_code
    assert "sesame.yaml: no such file; fix:" in proc.stderr


def test_example_config_is_valid(sesame: Sesame) -> None:
    sesame.write(example_config())
    assert sesame.ok("validate").stdout.strip() == "sesame.yaml: ok (2 domain(s))"


def _unreadable_configs(top: Path) -> dict[str, str]:
    """Files that are no sesame.yaml at all: each is one line before any YAML parsing."""
    (top / "a-directory").mkdir()
    (top / "utf16.yaml").write_bytes("region: eu-west-1\n".encode("utf-16"))
    (top / "utf16le.yaml").write_bytes("region: eu-west-1\n".encode("utf-16-le"))
    (top / "latin1.yaml").write_bytes(b"region: eu-west-1\ntags: {team: \xe9quipe}\n")
    with (top / "huge.yaml").open("wb") as fh:
        fh.write(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    (top / "deep.yaml").write_text("region: " + "[" * 5000 + "]" * 5000 + "\n")
    return {
        "deep.yaml": "line 1: nested more than 64 levels deep",
        "a-directory": "is a directory",
        "/dev/zero": "is not a regular file",
        "utf16.yaml": "is UTF-16 or binary",
        "utf16le.yaml": "is UTF-16 or binary",
        "latin1.yaml": "is not UTF-8 text",
        "huge.yaml": "is larger than the 1,048,576 bytes sesame reads",
        "missing.yaml": "no such file",
    }


def test_a_config_path_that_is_no_yaml_text_file_is_one_line_and_nothing_runs(
    sesame: Sesame,
) -> None:
    for path, words in _unreadable_configs(sesame.top).items():
        proc = sesame("--config", path, "plan")
        assert proc.returncode == ConfigError.exit_code, (path, proc.stderr)
        [line] = proc.stderr.strip().splitlines()
        assert line.startswith(f"sesame: {path}: {words}") and "fix:" in line, line
    assert not (sesame.top / ".sesame").exists()


def _refused(sesame: Sesame, config: dict | str) -> str:
    """The one line `sesame plan` prints for a bad configuration (exit 3, nothing run)."""
    sesame.write(config)
    proc = sesame("plan")
    assert proc.returncode == ConfigError.exit_code, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert not (sesame.top / ".sesame").exists()
    return line.removeprefix("sesame: sesame.yaml: ")


def _mail_from(value: str, **other: dict) -> dict:
    return _with(
        lambda c: (
            c["domains"]["example.com"].update(mail_from=value),
            c["domains"].update(other),
        )
    )


MAIL_FROM = {
    "the apex itself": (
        "example.com",
        "domains.example.com.mail_from: 'example.com' is a domain, not a subdomain label: it "
        "would make the MAIL FROM domain example.com.example.com; fix: write a label such as "
        "mail (for mail.example.com)",
    ),
    "the full name": (
        "mail.example.com",
        "domains.example.com.mail_from: 'mail.example.com' is a full name: it would make the "
        "MAIL FROM domain mail.example.com.example.com; fix: write only the part before "
        "example.com, e.g. mail",
    ),
    "another configured domain": (
        "bounce.example.org",
        "domains.example.com.mail_from: 'bounce.example.org' is a full name: it would make the "
        "MAIL FROM domain bounce.example.org.example.com; fix: write only the part before "
        "example.com, e.g. mail",
    ),
    "an absolute name": (
        "mail.example.com.",
        "domains.example.com.mail_from: 'mail.example.com.' ends with a dot (an absolute "
        "name); fix: write only the label(s), e.g. mail",
    ),
    "the zone-file apex": (
        "@",
        "domains.example.com.mail_from: '@' (the domain itself) cannot be the MAIL FROM "
        "domain; fix: a subdomain label such as mail",
    ),
    "uppercase": (
        "Mail",
        "domains.example.com.mail_from: 'Mail' has uppercase letters; fix: write 'mail' (DNS "
        "names are case-insensitive and sesame writes them in lowercase)",
    ),
    "an empty label": (
        "mail..eu",
        "domains.example.com.mail_from: 'mail..eu' has an empty label (a leading dot or two "
        "dots in a row); fix: remove the extra dot",
    ),
    "a leading dot": (
        ".mail",
        "domains.example.com.mail_from: '.mail' has an empty label (a leading dot or two dots "
        "in a row); fix: remove the extra dot",
    ),
    "empty": (
        "",
        "domains.example.com.mail_from: '' is empty; fix: write a name like mail",
    ),
    "an over-long label": (
        "m" * 64,
        "domains.example.com.mail_from: '"
        + "m" * 59
        + "…' has a label of 64 characters ('"
        + "m" * 59
        + "…'); fix: at most 63 characters between dots",
    ),
    "an over-long name": (
        ".".join(["m" * 60] * 4),
        "domains.example.com.mail_from: '"
        + ("m" * 60 + ".")[:59]
        + "…' makes "
        + ".".join(["m" * 60] * 4)
        + ".example.com (255 characters); fix: a shorter label (a DNS name has at most 253)",
    ),
    "an underscore": (
        "_mail",
        "domains.example.com.mail_from: '_mail' label '_mail' has characters other than "
        "letters, digits and hyphens; fix: use only a-z, 0-9 and -",
    ),
}


@pytest.mark.parametrize("case", list(MAIL_FROM), ids=list(MAIL_FROM))
def test_mail_from_that_is_not_a_proper_subdomain_is_refused(sesame: Sesame, case: str) -> None:
    value, want = MAIL_FROM[case]
    assert _refused(sesame, _mail_from(value)) == want


def test_mail_from_that_is_another_sending_domain_is_refused(sesame: Sesame) -> None:
    line = _refused(sesame, _mail_from("news", **{"news.example.com": {}}))
    assert line == (
        "domains.example.com.mail_from: MAIL FROM news.example.com is also a sending domain "
        "here (their SPF records would collide); fix: choose another label, e.g. bounce"
    )
    both = _with(
        lambda c: c["domains"].update(
            {"eu.example.com": {"mail_from": "bounce"}, "example.com": {"mail_from": "bounce.eu"}}
        )
    )
    assert _refused(sesame, both) == (
        "domains.example.com.mail_from: MAIL FROM bounce.eu.example.com is also the MAIL "
        "FROM of eu.example.com; fix: choose another label for one of them"
    )


@pytest.mark.parametrize("value", ["mail", "bounce", "bounce.eu", "m-1.eu-west"])
def test_mail_from_labels_are_accepted(sesame: Sesame, value: str) -> None:
    sesame.write(_mail_from(value))
    assert sesame.ok("validate").stdout.strip() == "sesame.yaml: ok (2 domain(s))"


DOMAINS = {
    "uppercase": (
        "Example.NET",
        "'Example.NET' has uppercase letters; fix: write 'example.net' (DNS names are "
        "case-insensitive and sesame writes them in lowercase)",
    ),
    "a trailing dot": (
        "example.net.",
        "'example.net.' ends with a dot; fix: write 'example.net' (no trailing dot)",
    ),
    "unicode": (
        "bücher.example",
        "'bücher.example' is not ASCII; fix: write its IDNA (punycode) form xn--bcher-kva.example",
    ),
    "unicode with uppercase": (
        "Bücher.example",
        "'Bücher.example' is not ASCII; fix: write its IDNA (punycode) form xn--bcher-kva.example",
    ),
    "broken punycode": (
        "xn--zz.example",
        "'xn--zz.example' label 'xn--zz' is not valid punycode; fix: re-encode the name",
    ),
    "reserved hyphens": (
        "ab--cd.example",
        "'ab--cd.example' label 'ab--cd' has -- in positions 3-4, which DNS reserves; fix: "
        "rename it",
    ),
    "an over-long label": (
        "a" * 64 + ".example",
        "'" + "a" * 59 + "…' has a label of 64 characters ('" + "a" * 59 + "…'); fix: at most "
        "63 characters between dots",
    ),
    "an over-long name": (
        ".".join(["a" * 63] * 4) + ".net",
        "'" + "a" * 59 + "…' is 259 characters; fix: at most 253 characters",
    ),
    "a single label": (
        "localhost",
        "'localhost' is a single label; fix: a fully qualified name like localhost.com",
    ),
    "a public suffix": (
        "co.uk",
        "'co.uk' is a public suffix (names are registered under it), not a domain; fix: name "
        "your own domain, e.g. example.co.uk",
    ),
    "an IP address": (
        "192.0.2.1",
        "'192.0.2.1' is an IP address, not a domain name; fix: write the domain name",
    ),
    "an address": (
        "ops@example.net",
        "'ops@example.net' is an email address; fix: write only the name, 'example.net'",
    ),
    "a port": (
        "example.net:25",
        "'example.net:25' has a path or port; fix: write only the name, e.g. example.com",
    ),
    "an underscore": (
        "my_domain.example",
        "'my_domain.example' label 'my_domain' has characters other than letters, digits and "
        "hyphens; fix: use only a-z, 0-9 and -",
    ),
    "a leading hyphen": (
        "-x.example",
        "'-x.example' label '-x' starts or ends with a hyphen; fix: remove the hyphen",
    ),
}


@pytest.mark.parametrize("case", list(DOMAINS), ids=list(DOMAINS))
def test_domain_that_is_not_a_dns_name_says_why(sesame: Sesame, case: str) -> None:
    name, want = DOMAINS[case]
    config = _with(lambda c: c["domains"].update({name: {}}))
    shown = name if len(name) <= 60 else name[:59] + "…"
    assert _refused(sesame, config) == f"domains.{shown}: {want}"


def test_uppercase_address_under_uppercase_domain_names_the_case(sesame: Sesame) -> None:
    config = _with(
        lambda c: c["domains"].update(
            {"Example.COM": {"senders": {"x": {"kind": "smtp", "from": ["noreply@Example.COM"]}}}}
        )
    )
    del config["domains"]["example.com"]
    assert _refused(sesame, config) == (
        "domains.Example.COM: 'Example.COM' has uppercase letters; fix: write 'example.com' "
        "(DNS names are case-insensitive and sesame writes them in lowercase)"
    )
    assert _refused(sesame, _with(lambda c: _sender(c).update({"from": ["noreply@Example.COM"]})))
    assert _refused(
        sesame, _with(lambda c: _sender(c).update({"from": ["noreply@Example.COM"]}))
    ) == (
        "domains.example.com.senders.app-smtp.from: 'noreply@Example.COM': the domain part has "
        "uppercase letters; fix: write 'noreply@example.com' (the local part stays as it is)"
    )


OTHER_NAMES = {
    "zone in uppercase": (
        lambda c: c["domains"]["example.com"].update(zone="Example.com"),
        "domains.example.com.zone: 'Example.com' has uppercase letters; fix: write "
        "'example.com' (DNS names are case-insensitive and sesame writes them in lowercase)",
    ),
    "zone with a trailing dot": (
        lambda c: c["domains"]["example.com"].update(zone="example.com."),
        "domains.example.com.zone: 'example.com.' ends with a dot; fix: write 'example.com' "
        "(no trailing dot)",
    ),
    "report address in uppercase": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(rua=["mailto:d@Example.com"]),
        "domains.example.com.dmarc.rua: 'mailto:d@Example.com': the domain 'Example.com' has "
        "uppercase letters; fix: write 'example.com' (DNS names are case-insensitive and "
        "sesame writes them in lowercase)",
    ),
    "report address with an empty label": (
        lambda c: c["domains"]["example.com"]["dmarc"].update(ruf=["mailto:d@reports..com"]),
        "domains.example.com.dmarc.ruf: 'mailto:d@reports..com': the domain 'reports..com' "
        "has an empty label (a leading dot or two dots in a row); fix: remove the extra dot",
    ),
    "alarm address with a unicode domain": (
        lambda c: c["alarms"].update(emails=["ops@bücher.example"]),
        "alarms.emails: 'ops@bücher.example': the domain part 'bücher.example' is not ASCII; "
        "fix: write its IDNA (punycode) form xn--bcher-kva.example",
    ),
    "alarm address with a wildcard": (
        lambda c: c["alarms"].update(emails=["*@example.com"]),
        "alarms.emails: '*@example.com' has a wildcard; fix: write one real address",
    ),
    "tag AWS refuses": (
        lambda c: c["tags"].update({"team": "mail;ops"}),
        "tags: tag team: 'mail;ops' is not an AWS tag value; fix: at most 256 letters, digits, "
        "spaces and _.:/=+-@",
    ),
    "reserved tag key": (
        lambda c: c["tags"].update({"aws:owner": "x"}),
        "tags: tag key 'aws:owner' is not an AWS tag key; fix: 1-128 letters, digits, spaces "
        "and _.:/=+-@, not starting with aws:",
    ),
}


@pytest.mark.parametrize("case", list(OTHER_NAMES), ids=list(OTHER_NAMES))
def test_every_other_name_is_checked_with_its_cause(sesame: Sesame, case: str) -> None:
    mutate, want = OTHER_NAMES[case]
    assert _refused(sesame, _with(mutate)) == want


# -- the YAML itself: duplicate keys, size, aliases, depth, echoed values ----------------

EXAMPLE = (REPO / "sesame.yaml").read_text()


def _line_of(text: str, needle: str, start: int = 0) -> int:
    return text[: text.index(needle, start)].count("\n") + 1


def test_duplicate_domain_block_names_both_lines(sesame: Sesame) -> None:
    # The sample: a second example.com block planned the destruction of both IAM users.
    text = EXAMPLE + "  example.com:\n    dmarc: {policy: none}\n"
    first = _line_of(text, "  example.com:")
    second = _line_of(text, "  example.com:", text.index("  example.com:") + 1)
    assert _refused(sesame, text) == (
        f"line {second}: duplicate key 'example.com' (first at line {first}); fix: keep one "
        "(YAML would silently keep only the last)"
    )


@pytest.mark.parametrize(
    ("text", "first", "second", "key"),
    [
        ("region: eu-west-1\nregion: us-east-1\n", 1, 2, "region"),
        ("a:\n  b:\n    c: 1\n    d: 2\n    c: 3\n", 3, 5, "c"),
        ("x: {kind: smtp, kind: api}\n", 1, 1, "kind"),
        ("x:\n  - {p: 1}\n  - {p: 1, q: 2, p: 3}\n", 3, 3, "p"),
        ("? yes\n: 1\ntrue: 2\n", 1, 3, "True"),
    ],
    ids=["top level", "nested", "flow mapping", "inside a list", "same key spelt twice"],
)
def test_duplicate_keys_at_any_level_are_one_line(
    sesame: Sesame, text: str, first: int, second: int, key: str
) -> None:
    assert _refused(sesame, text) == (
        f"line {second}: duplicate key '{key}' (first at line {first}); fix: keep one "
        "(YAML would silently keep only the last)"
    )


def test_merge_keys_may_be_overridden_without_a_duplicate_error(sesame: Sesame) -> None:
    text = EXAMPLE.replace(
        "  example.org:\n    dmarc:\n      policy: none\n",
        "  example.org:\n    dmarc:\n      <<: &strict {policy: reject, pct: 50}\n"
        "      policy: none\n",
    )
    assert "<<:" in text
    sesame.write(text)
    assert sesame.ok("validate").stdout.strip() == "sesame.yaml: ok (2 domain(s))"


def _bomb(levels: int = 9) -> str:
    """The billion laughs: each level repeats the one before it nine times."""
    text = 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for n in range(1, levels):
        text += f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]\n"
    return text


# Run the CLI in a child that reports its own peak RSS; RLIMIT_AS makes a regression die
# (MemoryError, not swap) instead of taking the machine. The peak is VmHWM, the child's own
# address space: Linux's ru_maxrss keeps the parent's high-water mark across fork and exec, so
# in a worker grown by earlier tests it read 309 MB for a run that used 58 MB.
_MEASURED = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
from sesame.main import main
rc = main(sys.argv[1:])
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"rc": rc, "peak_kb": peak}))
"""


@pytest.mark.parametrize(
    "where",
    ["region: *l8", "tags: {team: *l8}", "domains: {example.com: {dmarc: {policy: *l8}}}"],
    ids=["as a string", "as a tag value", "as a literal"],
)
def test_alias_bomb_is_one_short_line_in_bounded_memory_and_time(
    sesame: Sesame, where: str
) -> None:
    text = _bomb() + where + "\n"
    assert len(text) < 1000  # 9^9 = 387,420,489 strings once expanded
    sesame.write(text)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, "plan"],
        cwd=sesame.top,
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    result = json.loads(proc.stdout)
    assert result["rc"] == ConfigError.exit_code, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line == (
        "sesame: sesame.yaml: line 6: aliases expand this to more than 200,000 values; fix: "
        "write the values out, without nested aliases"
    )
    # sesame itself starts at about 60 MB; before the bound this run used 1.8 GB.
    assert result["peak_kb"] < 200 * 1024, result
    assert elapsed < 30, elapsed
    assert not (sesame.top / ".sesame").exists()


def test_alias_referring_to_itself_is_one_line(sesame: Sesame) -> None:
    assert _refused(sesame, "region: &r [*r]\n") == (
        "line 1: alias *r refers to the value that contains it; fix: write the value out"
    )


def test_oversized_file_is_refused_by_size(sesame: Sesame) -> None:
    text = EXAMPLE + "#" + "x" * (1024 * 1024) + "\n"
    assert _refused(sesame, text) == (
        "is larger than the 1,048,576 bytes sesame reads; fix: check that it is the right file "
        "(sesame.yaml and secrets.yaml are a few KB)"
    )


def test_deep_nesting_is_one_line(sesame: Sesame) -> None:
    assert _refused(sesame, "region: " + "[" * 5000 + "]" * 5000 + "\n") == (
        "line 1: nested more than 64 levels deep; fix: a configuration nests at most a few "
        "levels, check the brackets and indentation"
    )


@pytest.mark.parametrize(
    ("mutate", "want"),
    [
        (
            lambda c: c.update(region="x" * 100_000),
            "region: '" + "x" * 59 + "…' is not a region where SES v2 runs; fix: pick one of",
        ),
        (
            lambda c: c["domains"]["example.com"]["dmarc"].update(policy="y" * 100_000),
            "domains.example.com.dmarc.policy: '" + "y" * 59 + "…' is not allowed; fix: write "
            "one of 'none', 'quarantine', 'reject'",
        ),
        (
            lambda c: c.update({"k" * 100_000: 1}),
            "k" * 59 + "…: unknown key '" + "k" * 59 + "…'; fix: remove it, or use one of "
            "region, backend, tags, alarms, shards, domains",
        ),
    ],
    ids=["value", "literal", "key"],
)
def test_long_values_are_cut_in_messages(sesame: Sesame, mutate, want: str) -> None:
    line = _refused(sesame, _with(mutate))
    assert line.startswith(want), line
    assert len(line) < 1000, len(line)  # the region list is the longest part


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
    assert proc.returncode == ConfigError.exit_code, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "domains.example.com.dmarc.rua" in line and f"{bad} cannot stand in it" in line, line
    assert f"fix: percent-encode it as {encoded}" in line
    assert not (sesame.top / ".sesame").exists()


# -- what is wrong and how to fix it, for the kinds users hit ---------------------------

SHIPPED = (REPO / "sesame.yaml").read_text()


def _parse_error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config.parse(text, Path("sesame.yaml"))
    [line] = str(caught.value).splitlines()
    return line.removeprefix("sesame.yaml: ")


def test_an_unquoted_wildcard_address_is_named_as_a_yaml_alias_with_the_quoted_fix(
    sesame: Sesame,
) -> None:
    text = SHIPPED.replace("from: [noreply@example.com]", "from: [*@example.com]")
    line = _refused(sesame, text)
    assert line == (
        "line 28 column 16: the value `*@example.com` starts with *, which YAML reads as an "
        "alias (a reference to an &anchor); fix: put it in quotes: '*@example.com'"
    )


@pytest.mark.parametrize(
    ("yaml_text", "want"),
    [
        ("from:\n  - *@example.com\n", "line 2 column 5: the value `*@example.com` starts with *"),
        ("from: [*app@example.com]\n", "the value `*app@example.com` starts with *"),
        ("from: &x@example.com\n", "starts with &, which YAML reads as an anchor"),
        ("from: [@example.com]\n", "starts with @, which YAML reserves; fix: put it in quotes"),
        ("region:\teu-west-1\n", "line 1 column 8: a tab; YAML indents with spaces only"),
        ("region: a: b\n", "line 1 column 10: a `: ` where no key can start"),
        ('region: "eu-west-1\n', "line 1 column 9: the quote opened here is never closed"),
        ("tags: {a: b\n", "line 1 column 7: the { opened here is never closed; fix: close it"),
    ],
    ids=["block alias", "alias then @", "anchor", "reserved @", "tab", "colon", "quote", "brace"],
)
def test_each_kind_of_yaml_error_is_one_line_naming_the_place_and_the_fix(
    yaml_text: str, want: str
) -> None:
    line = _parse_error(yaml_text)
    assert want in line and "fix:" in line, line
    assert line.startswith("line "), line


def test_a_yaml_error_in_a_secrets_file_never_shows_the_value() -> None:
    exc = None
    try:
        yaml.safe_load("AWS_SECRET_ACCESS_KEY: *abc123secret\n")
    except yaml.YAMLError as e:
        exc = e
    assert exc is not None
    line = config.yaml_problem(exc, "AWS_SECRET_ACCESS_KEY: *abc123secret\n", quote=False)
    assert "abc123secret" not in line and "put it in quotes" in line, line


@pytest.mark.parametrize(
    ("before", "after", "want"),
    [
        (
            "domains:",
            "domainz:",
            "domainz: unknown key 'domainz' (did you mean 'domains'?); fix: rename it to domains",
        ),
        ("region:", "regoin:", "regoin: unknown key 'regoin' (did you mean 'region'?)"),
        (
            "    mail_from: mail",
            "    mail_form: mail",
            "domains.example.com.mail_form: unknown "
            "key 'mail_form' (did you mean 'mail_from'?); fix: rename it to mail_from",
        ),
        ("      policy: none", "      polcy: none", "(did you mean 'policy'?)"),
        (
            "        kind: role",
            "        kind: role\n        colour: red",
            "unknown key 'colour'; fix: remove it, or use one of kind, from, role, export",
        ),
    ],
    ids=["top level", "region", "domain key", "dmarc key", "no close match"],
)
def test_an_unknown_key_names_the_key_it_is_closest_to_or_the_allowed_ones(
    before: str, after: str, want: str
) -> None:
    assert before in SHIPPED
    line = _parse_error(SHIPPED.replace(before, after, 1))
    assert want in line, line


@pytest.mark.parametrize(
    ("before", "after", "want"),
    [
        (
            "role: EC2-SSM-Role",
            "role: EC2 SSM Role",
            "role 'EC2 SSM Role' has a space, which IAM "
            "names cannot hold; fix: write the role's name exactly as the IAM console shows it",
        ),
        (
            "role: EC2-SSM-Role",
            "role: arn:aws:iam::123456789012:role/EC2-SSM-Role",
            "is an ARN, not a name (the name is 'EC2-SSM-Role')",
        ),
        (
            "      web-ec2:",
            "      web ec2:",
            "sender name 'web ec2' has a space, which IAM names "
            "cannot hold (it names the role's inline policy ses-send-<name>); fix: rename it with "
            "1-56 letters, digits and +=,.@_-, e.g. 'web-ec2'",
        ),
        (
            "      app-api:",
            "      app/api:",
            "sender name 'app/api' has '/', which IAM names "
            "cannot hold (it becomes the IAM user's name)",
        ),
    ],
    ids=["role with spaces", "role ARN", "role sender name with a space", "api sender slash"],
)
def test_iam_names_say_which_character_is_wrong_and_what_the_name_becomes(
    before: str, after: str, want: str
) -> None:
    assert before in SHIPPED
    line = _parse_error(SHIPPED.replace(before, after, 1))
    assert want in line and "fix:" in line, line


def test_a_domain_may_name_its_shard() -> None:
    text = SHIPPED.replace("  example.org:\n", "  example.org:\n    shard: tenants-1\n", 1)
    text = text.replace("\ndomains:", "\nshards: {count: 2}\ndomains:", 1)
    assert config.parse(text, Path("sesame.yaml")).domains["example.org"].shard == "tenants-1"


def test_a_from_list_within_iams_policy_quota_is_valid(sesame: Sesame) -> None:
    many = [f"noreply{i}@example.com" for i in range(60)]  # 1,787 of the 2,048 characters
    sesame.write(_with(lambda c: _sender(c).update({"from": many})))
    assert sesame.ok("validate").stdout.strip() == "sesame.yaml: ok (2 domain(s))"
