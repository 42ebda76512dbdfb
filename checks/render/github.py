"""`--format github`: workflow commands that GitHub Actions turns into annotations.

Escaping follows the runner's own rules: in the message `%`, CR and LF are escaped; in properties
also `:` and `,` (otherwise a path or title containing them would cut the command short).
"""

from __future__ import annotations

from asyncguard.checks.links import help_ref
from asyncguard.checks.render.common import rule_name
from asyncguard.checks.report import Report
from asyncguard.rules.model import Severity

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, base_url: str | None = None, path_prefix: str = "") -> str:
    """One command per finding; `path_prefix` re-roots paths when the project sits below the repo root."""
    out: list[str] = []
    for f in report.findings:
        props = {
            "file": path_prefix + f.path,
            "line": str(f.line),
            "col": str(f.column),
            "endLine": str(f.end_line),
            "endColumn": str(f.end_column),
            "title": f"{f.code} {rule_name(f)}",
        }
        prop_text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
        body = f.message
        if f.chain:
            body += "\nvia: " + " -> ".join(f.chain)
        if f.fix is not None:
            body += f"\nfix: {f.fix.description}"
        body += f"\nhelp: {help_ref(f.code, base_url)}"
        out.append(f"::{_COMMAND[f.severity]} {prop_text}::{escape_data(body)}")
    return "\n".join(out) + ("\n" if out else "")
