"""Renderers: one Report in, the text of one output format out."""

from __future__ import annotations

from asyncguard.checks.render.github import render_github
from asyncguard.checks.render.jsonfmt import render_json
from asyncguard.checks.render.sarif import render_sarif
from asyncguard.checks.render.text import render_text
from asyncguard.checks.report import Report

FORMATS = ("text", "json", "sarif", "github", "markdown")


def render(report: Report, fmt: str, base_url: str | None = None) -> str:
    """`fmt` is one of FORMATS; ValueError otherwise."""
    if fmt == "text":
        return render_text(report, base_url)
    if fmt == "json":
        return render_json(report, base_url)
    if fmt == "sarif":
        return render_sarif(report, base_url)
    if fmt == "github":
        return render_github(report, base_url)
    if fmt == "markdown":
        from asyncguard.checks.render.summary import render_summary  # jinja2: loaded only when asked for

        s = render_summary(report, base_url)
        return f"## asyncguard: {s.title}\n\n{s.text}"
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


__all__ = ["FORMATS", "render"]
