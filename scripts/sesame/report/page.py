"""report.html: the whole plan report as one self-contained page an auditor reads offline.

Rendered with Jinja2 (autoescaped: a DNS value or an address can never inject markup)
from the same data as report.json. No external asset, no script: the page's own
Content-Security-Policy forbids loading anything, so what it shows is all there is.
"""

from __future__ import annotations

import json
from typing import Any

import jinja2

from sesame.report.model import as_text, summary, ttl_text

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("sesame.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


_ENV.filters["value"] = as_text
_ENV.filters["ttl"] = ttl_text
_ENV.filters["pretty"] = lambda v: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False)


def html(report: dict[str, Any]) -> str:
    """report.html: every section in full (nothing folded), then every change."""
    return _ENV.get_template("report.html.j2").render(r=report, summary=summary(report))
