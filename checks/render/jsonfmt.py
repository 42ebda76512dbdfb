"""`--format json`: a list of finding objects (stable keys, sorted findings)."""

from __future__ import annotations

import json

from asyncguard.checks.render.common import finding_dict
from asyncguard.checks.report import Report


def render_json(report: Report, base_url: str | None = None) -> str:
    return (
        json.dumps([finding_dict(f, base_url) for f in report.findings], indent=2, ensure_ascii=False) + "\n"
    )
