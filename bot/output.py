"""A Report as check-run output: title, summary (jinja2, within GitHub's limits), annotations.

GitHub takes at most 50 annotations a request and 65535 characters per output text; the
summary is cut with a note rather than letting the update fail.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import jinja2

from asyncguard.checks.links import rule_url
from asyncguard.checks.render.common import rule_name
from asyncguard.checks.render.summary import GITHUB_SUMMARY_LIMIT, render_summary, truncate
from asyncguard.checks.report import Report
from asyncguard.rules.model import Finding, Severity

ANNOTATION_BATCH = 50
MAX_TITLE = 255
MAX_MESSAGE = 4000
_LEVEL = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.INFO: "notice"}


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("asyncguard.bot", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_check_summary(max_chars: int = GITHUB_SUMMARY_LIMIT, **values: Any) -> str:
    """The check run's summary (see templates/check_summary.md.j2), never over `max_chars`."""
    defaults: dict[str, Any] = {
        "superseded_by": None, "error": None, "hint": None, "blocking": 0, "warned": 0, "body": "", "config_note": "",
        "review": "", "annotation_notes": [], "head_sha": "", "base_sha": "", "duration": None,
    }
    defaults.update(values)
    text = _env().get_template("check_summary.md.j2").render(**defaults)
    return truncate(text.strip() + "\n", max_chars)


def report_summary(report: Report, base_url: str | None, room: int, scope_note: str = "") -> tuple[str, str]:
    """(title, Markdown body of the report) with the body fitting in `room` characters."""
    summary = render_summary(report, base_url=base_url, scope_note=scope_note, max_chars=max(room, 200))
    return summary.title[:MAX_TITLE], summary.text


def annotation(f: Finding, base_url: str | None) -> dict[str, Any]:
    a: dict[str, Any] = {
        "path": f.path,
        "start_line": f.line,
        "end_line": max(f.end_line, f.line),
        "annotation_level": _LEVEL.get(f.severity, "warning"),
        "title": f"{f.code} {rule_name(f)}"[:MAX_TITLE],
        "message": f.message[:MAX_MESSAGE],
        "raw_details": f"{rule_url(f.code, base_url)}",
    }
    if a["start_line"] == a["end_line"] and f.column >= 1 and f.end_column >= f.column:
        a["start_column"] = f.column
        a["end_column"] = f.end_column
    return a


def annotation_batches(findings: Sequence[Finding], base_url: str | None) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for f in findings:
        batch.append(annotation(f, base_url))
        if len(batch) == ANNOTATION_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def clip_title(text: str) -> str:
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"
