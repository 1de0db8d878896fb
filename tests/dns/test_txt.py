"""TXT unquoting and DMARC parsing: one rule in Python, the same in terraform/cloudflare."""

from __future__ import annotations

from pathlib import Path

import pytest

from hcl import TERRAFORM, evaluate, only
from sesame.dns import dmarc, spf, txt

SAMPLES = [
    '"v=spf1 include:_spf.google.com ~all"',
    '"v=DMARC1; p=reject; pct=100; rua=mailto:dmarc@example.com"',
    '"v=DMARC1; p=quarantine; rua=mailto:' + "r" * 240 + '" "@example.com"',
    "v=spf1 -all",
    '"v=DMARC1; p=none; rua=mailto:a\\"b@example.com"',
    '"back\\\\slash"',
    '""',
]


def test_unquote_matches_the_cloudflare_module(tmp_path: Path) -> None:
    main_tf = (TERRAFORM / "cloudflare" / "main.tf").read_text()
    # the expression that unquotes an adopted record's content, applied to our samples
    expr = only(r"d => c == null \? null : \(\s*(startswith\(c, .*? : c)\s*\)", main_tf)
    locals_hcl = f"unquoted = [for c in var.samples : ({expr})]"
    got = evaluate(tmp_path, locals_hcl, "local.unquoted", {"samples": SAMPLES})
    assert got == [txt.unquote(s) for s in SAMPLES]


def test_spf_reads_the_one_unquote() -> None:
    assert spf.unquote is txt.unquote


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('"v=DMARC1; p=reject"', (2, 100)),
        ('"v=DMARC1; p=Quarantine; pct=50"', (1, 50)),
        ('"v=DMARC1; " "p=none; sp=reject"', (0, 100)),
        ("v=DMARC1;p=reject;pct=abc", (2, 100)),
        ('"v=spf1 -all"', None),
        (None, None),
    ],
)
def test_dmarc_strength_reads_policy_and_pct(
    content: str | None, expected: tuple[int, int] | None
) -> None:
    assert dmarc.strength(content) == expected
