"""The plan report: data (report.json), a pull-request comment (report.md) and a
self-contained page (report.html), with nothing secret in any of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sesame.report.markdown import COMMENT_LIMIT, markdown
from sesame.report.model import (
    SECRET,
    SENSITIVE,
    UNKNOWN,
    build,
    digest,
    mask,
    plan_file_facts,
    provenance,
    summary,
)
from sesame.report.page import html

__all__ = [
    "COMMENT_LIMIT",
    "SECRET",
    "SENSITIVE",
    "UNKNOWN",
    "build",
    "digest",
    "html",
    "markdown",
    "mask",
    "plan_file_facts",
    "provenance",
    "summary",
    "write",
]


def write(report: dict[str, Any], directory: Path, link: str = "report.html") -> list[Path]:
    """report.md (linking `link` for what it folds), report.html and report.json."""
    directory.mkdir(parents=True, exist_ok=True)
    forms = {
        "report.md": markdown(report, link),
        "report.html": html(report),
        "report.json": json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False),
    }
    paths = []
    for name, text in forms.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
