"""The dashboard page as data, then HTML: figures and SVG charts for one scope and window (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from asyncguard.bot.governance.audit_report import human, median, percentile
from asyncguard.bot.monitoring.charts import bar_chart, line_chart
from asyncguard.bot.monitoring.metrics import TARGET_SECONDS, Summary, bucket_start, findings_per_rule
from asyncguard.bot.monitoring.store import RunRecord

TEMPLATES = Path(__file__).with_name("templates")
WINDOWS = (7, 30, 90, 365)


@dataclass
class Scope:
    """What the page shows: every visible repository, or one; the installations they belong to."""

    repo: str | None
    days: int
    repos_by_installation: dict[str, list[str]] = field(default_factory=dict)


def run_weeks(runs: Sequence[RunRecord]) -> dict[str, dict[float, float]]:
    """Weekly PR run duration p50/p95 and queue wait p95, for the performance chart."""
    by: dict[float, list[RunRecord]] = {}
    for r in runs:
        by.setdefault(bucket_start(r.ts, "week"), []).append(r)
    out: dict[str, dict[float, float]] = {"duration p50 (s)": {}, "duration p95 (s)": {}, "queue wait p95 (s)": {}}
    for week, rs in sorted(by.items()):
        d = [r.duration_s for r in rs]
        out["duration p50 (s)"][week] = round(median(d) or 0.0, 3)
        out["duration p95 (s)"][week] = round(percentile(d, 95) or 0.0, 3)
        out["queue wait p95 (s)"][week] = round(percentile([r.queue_wait_s for r in rs], 95) or 0.0, 3)
    return out


def charts(summary: Summary, runs: Sequence[RunRecord]) -> dict[str, Markup]:
    per_rule = findings_per_rule(runs, "week")
    precision = [p for p in summary.precision if p.shown]
    tta = summary.tta
    tta_items = [(label, v / 86400) for label, v in (("p50", tta.p50_s), ("p90", tta.p90_s)) if v is not None]
    return {
        "findings": Markup(line_chart({rule: {k: float(v) for k, v in b.items()} for rule, b in per_rule.items()},
                                      title="Findings per rule, by week", y_label="findings",
                                      chart_id="chart-findings")),
        "precision": Markup(bar_chart(
            [(p.rule, round((p.rate or 0.0) * 100, 2)) for p in precision], title="Reported-false rate per rule",
            unit="%", chart_id="chart-precision",
            value_text=[f"{p.reported}/{p.shown} ({(p.rate or 0) * 100:.1f}%)" for p in precision])),
        "tta": Markup(bar_chart(tta_items, title="Time to approval (days)", chart_id="chart-tta",
                                target=TARGET_SECONDS / 86400, target_label="two-week target",
                                value_text=[f"{v:.1f} d" for _, v in tta_items])),
        "approvers": Markup(bar_chart([(f"@{k}", float(v)) for k, v in summary.approvers.items()],
                                      title="Approvals by approver", chart_id="chart-approvers")),
        "performance": Markup(line_chart(run_weeks(runs), title="PR run duration and queue wait, by week",
                                         y_label="seconds", chart_id="chart-performance")),
    }


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined)
_env.filters["human"] = human


def render_page(scope: Scope, summary: Summary, runs: Sequence[RunRecord], who: str) -> str:
    return _env.get_template("dashboard.html.j2").render(
        scope=scope, s=summary, charts=charts(summary, runs), who=who, windows=WINDOWS,
        target_days=TARGET_SECONDS // 86400,
    )


def render_refusal(status: int, sign_in: bool) -> str:
    """The whole body of a refused request: no figure, no repository name, no setting."""
    return _env.get_template("refused.html.j2").render(status=status, sign_in=sign_in)


def as_json(scope: Scope, summary: Summary) -> dict[str, Any]:
    return {"repo": scope.repo, "days": scope.days, "repositories": scope.repos_by_installation,
            "summary": summary.as_dict()}
