"""The monthly governance report: this month's figures beside last month's, as Markdown, HTML or JSON.

Built from two `metrics.Summary` values (pure); `render(fmt, ...)` picks the format.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from markdown_it import MarkdownIt

from asyncguard.bot.governance.audit_report import human
from asyncguard.bot.monitoring.metrics import TARGET_SECONDS, Summary


def _delta(now: float | None, before: float | None, *, seconds: bool = False, percent: bool = False) -> str:
    if now is None or before is None:
        return "n/a"
    d = now - before
    if d == 0:
        return "="
    sign = "+" if d > 0 else "-"
    if seconds:
        return sign + human(abs(d))
    if percent:
        return f"{sign}{abs(d) * 100:.1f} pt"
    return f"{sign}{abs(d):g}"


def headline(cur: Summary) -> list[tuple[str, float | None, str]]:
    """(figure, value, kind) for the comparison table; kind: count | seconds | share."""
    b, t = cur.breaking, cur.tta
    shown = sum(p.shown for p in cur.precision)
    reported = sum(p.reported for p in cur.precision)
    return [
        ("Breaking changes proposed (PRs)", b.proposed, "count"),
        ("Approved", b.approved, "count"),
        ("Bypassed", b.bypassed, "count"),
        ("Merged without approval", b.unapproved_merged, "count"),
        ("Time to approval, p50", t.p50_s, "seconds"),
        ("Time to approval, p90", t.p90_s, "seconds"),
        ("Approvals within two weeks", (t.within_target / len(t.samples)) if t.samples else None, "share"),
        ("Stale approvals", len(cur.stale), "count"),
        ("Findings shown", float(shown), "count"),
        ("Reported false positives", float(reported), "count"),
        ("Reported-false rate", reported / shown if shown else None, "share"),
        ("PR runs", cur.performance.runs, "count"),
        ("PR run duration, p95", cur.performance.duration_p95_s, "seconds"),
        ("Queue wait, p95", cur.performance.queue_wait_p95_s, "seconds"),
    ]


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "seconds":
        return human(value)
    if kind == "share":
        return f"{value * 100:.1f}%"
    return f"{value:g}"


def render_md(month: str, cur: Summary, prev: Summary, previous_month: str) -> str:
    scope = f" for {cur.repo}" if cur.repo else ""
    out = [f"# asyncguard governance report, {month}{scope}", ""]
    b = cur.breaking
    verdict = ("No breaking change was merged without approval." if b.unapproved_merged == 0
               else f"**{b.unapproved_merged} PR(s) with breaking changes were merged without approval.**")
    out += [verdict, "", f"## Summary (change since {previous_month})", "",
            f"| figure | {month} | {previous_month} | change |", "|---|---|---|---|"]
    for (label, now, kind), (_, before, _) in zip(headline(cur), headline(prev), strict=True):
        out.append(f"| {label} | {_fmt(now, kind)} | {_fmt(before, kind)} | "
                   f"{_delta(now, before, seconds=kind == 'seconds', percent=kind == 'share')} |")
    out += ["", f"Target: breaking changes approved within {TARGET_SECONDS // 86400} days; "
            f"{cur.tta.within_target} of {len(cur.tta.samples)} approvals met it; "
            f"{cur.tta.waiting_over_target} PR(s) still waiting past it.", ""]
    out += [f"## Merged without approval ({b.unapproved_merged})", ""]
    out += _table(["repo", "PR", "merged", "by", "gate", "changes"],
                  [[u["repo"], f"#{u['pr']}", u["at"], u["by"] or "", u["gate"] or "", "; ".join(u["changes"])]
                   for u in b.unapproved])
    out += ["", f"## Bypasses ({b.bypassed})", ""]
    out += _table(["repo", "PR", "when", "by", "how", "reason", "changes"],
                  [[x["repo"], f"#{x['pr']}", x["at"], x["by"] or "", x["how"], x["reason"] or "(none given)",
                    "; ".join(x["changes"])] for x in b.bypasses])
    out += ["", "## Approvals", ""]
    out += _table(["approver", "approvals"], [[f"@{k}", str(v)] for k, v in cur.approvers.items()])
    out += ["", "## Time to approval", ""]
    out += _table(["repo", "PR", "time", "approver"],
                  [[s["repo"], f"#{s['pr']}", human(s["seconds"]), s["approver"] or ""] for s in cur.tta.samples])
    out += ["", f"## Stale approvals ({len(cur.stale)})", ""]
    out += _table(["repo", "PR", "when", "approver"],
                  [[s["repo"], f"#{s['pr']}", s["at"], s["approver"] or ""] for s in cur.stale])
    out += ["", "## Reported false positives per rule", ""]
    out += _table(["rule", "shown", "reported false", "rate"],
                  [[p.rule, str(p.shown), str(p.reported), _fmt(p.rate, "share")] for p in cur.precision])
    out += ["", "## PR run performance", "",
            f"{cur.performance.runs} runs; duration p50 {human(cur.performance.duration_p50_s)}, "
            f"p95 {human(cur.performance.duration_p95_s)}; queue wait p50 {human(cur.performance.queue_wait_p50_s)}, "
            f"p95 {human(cur.performance.queue_wait_p95_s)}."]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["None."]
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + [
        "| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]


_CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}
th{background:#f6f8fa}"""


def render_html(month: str, cur: Summary, prev: Summary, previous_month: str) -> str:
    """The Markdown report as one standalone HTML page (no external assets; markdown-it escapes HTML)."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(
        render_md(month, cur, prev, previous_month))
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>asyncguard governance report '
            f"{escape(month)}</title><style>{_CSS}</style></head><body>\n{body}</body></html>\n")


def render_json(month: str, cur: Summary, prev: Summary, previous_month: str) -> str:
    data: dict[str, Any] = {
        "month": month, "previous_month": previous_month,
        "current": cur.as_dict(), "previous": prev.as_dict(),
        "change": {label: (None if now is None or before is None else now - before)
                   for (label, now, _), (_, before, _) in zip(headline(cur), headline(prev), strict=True)},
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


RENDERERS = {"md": render_md, "html": render_html, "json": render_json}
