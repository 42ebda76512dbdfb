"""Terminal output: `path:line:col: CODE message [name]`, then the fix, the call chain and the link."""

from __future__ import annotations

from asyncguard.checks.links import rule_url
from asyncguard.checks.render.common import rule_name
from asyncguard.checks.render.style import BLUE, BOLD, CYAN, DIM, RED, YELLOW, paint
from asyncguard.checks.report import Report
from asyncguard.rules.model import Severity

_SEVERITY_COLOR = {Severity.ERROR: RED, Severity.WARNING: YELLOW, Severity.INFO: BLUE}


def render_text(
    report: Report,
    base_url: str | None = None,
    statistics: bool = False,
    color: bool = False,
    quiet: bool = False,
) -> str:
    """`quiet` (`--quiet`): the findings only, no notes and no summary line, as `ruff -q` prints."""
    lines: list[str] = []
    for f in report.findings:
        where = paint(f"{f.path}:{f.line}:{f.column}:", BOLD, on=color)
        code = paint(f.code, BOLD, _SEVERITY_COLOR[f.severity], on=color)
        lines.append(f"{where} {code} {f.message} [{rule_name(f)}]")
        if f.chain:
            lines.append(f"  via: {' -> '.join(f.chain)}")
        if f.fix is not None:
            how = "run with --fix" if f.fix.safe else "unsafe: --fix --unsafe-fixes applies it"
            lines.append(f"  fix: {f.fix.description} ({how})")
        lines.append(paint(f"  help: {rule_url(f.code, base_url)}", DIM, on=color))
    if quiet:
        return "".join(line + "\n" for line in lines)
    for note in report.notes:
        lines.append(f"{paint('note:', CYAN, on=color)} {note}")
    if statistics and report.findings:
        lines.append("")
        counts = report.counts_by_rule()
        names = {f.code: rule_name(f) for f in report.findings}
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"{n:5d}  {code}  {names[code]}")
    lines.append(paint(summary_line(report), BOLD, on=color))
    return "\n".join(lines) + "\n"


def summary_line(report: Report) -> str:
    n = len(report.findings)
    files = f"{report.files_checked} file{'s' if report.files_checked != 1 else ''} checked"
    if n == 0:
        return f"All clear: no findings ({files})."
    fixable = sum(1 for f in report.findings if f.fix is not None and f.fix.safe)
    extra = f", {fixable} fixable with --fix" if fixable else ""
    return f"Found {n} finding{'s' if n != 1 else ''} ({files}{extra})."
