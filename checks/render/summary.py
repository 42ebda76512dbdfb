"""The pull-request summary (title + Markdown): what `asyncguard pr` prints and a check run can show.

Rendered with jinja2 from the Report; capped to a size with a note of what was cut, never failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import jinja2

from asyncguard.checks.links import rule_url
from asyncguard.checks.render.common import rule_name
from asyncguard.checks.report import Report
from asyncguard.rules.model import Severity

GITHUB_SUMMARY_LIMIT = 65_535  # characters GitHub accepts in a check run's output.summary
_TRUNCATED = "\n\n_… summary truncated: {dropped} more characters not shown. Run `asyncguard pr` locally for all of it._\n"


@dataclass(frozen=True)
class Summary:
    title: str
    text: str


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("asyncguard.checks.render", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("summary.md.j2")


def title_for(report: Report) -> str:
    counts = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    parts = []
    if counts[Severity.ERROR]:
        parts.append(f"{counts[Severity.ERROR]} error{'s' if counts[Severity.ERROR] != 1 else ''}")
    if counts[Severity.WARNING]:
        parts.append(f"{counts[Severity.WARNING]} warning{'s' if counts[Severity.WARNING] != 1 else ''}")
    if counts[Severity.INFO]:
        parts.append(f"{counts[Severity.INFO]} info")
    diff = report.contract_diff
    if diff is not None and getattr(diff, "breaking", None):
        n = len(diff.breaking)
        parts.append(f"{n} breaking interface change{'s' if n != 1 else ''}")
    return ", ".join(parts) if parts else "No findings"


def render_summary(
    report: Report,
    base_url: str | None = None,
    scope_note: str = "",
    max_chars: int = GITHUB_SUMMARY_LIMIT,
) -> Summary:
    """Title and Markdown body; the body never exceeds `max_chars`."""
    counts = report.counts_by_rule()
    names = {f.code: rule_name(f) for f in report.findings}
    rows = [
        {"code": code, "name": names[code], "count": n, "url": rule_url(code, base_url)}
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    text = _template().render(
        findings=report.findings,
        errors=sum(1 for f in report.findings if f.severity is Severity.ERROR),
        warnings=sum(1 for f in report.findings if f.severity is Severity.WARNING),
        infos=sum(1 for f in report.findings if f.severity is Severity.INFO),
        files_checked=report.files_checked,
        rules=rows,
        diff=report.contract_diff,
        checklist=report.checklist,
        notes=report.notes,
        scope_note=scope_note,
    )
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return Summary(title=title_for(report), text=truncate(text, max_chars))


def truncate(text: str, max_chars: int) -> str:
    """Cut at a line boundary so that text plus the note fits in `max_chars`."""
    if len(text) <= max_chars:
        return text
    room = max(0, max_chars - len(_TRUNCATED.format(dropped=len(text))))
    cut = text.rfind("\n", 0, room)
    cut = cut if cut > 0 else room
    return text[:cut] + _TRUNCATED.format(dropped=len(text) - cut)
