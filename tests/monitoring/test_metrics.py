"""The monitoring figures as pure functions of hand-made records (each expectation worked out by hand)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from asyncguard.bot.governance.audit_store import AuditRecord
from asyncguard.bot.monitoring import metrics
from asyncguard.bot.monitoring.store import Feedback, RunRecord, SeenFinding

DAY = 86400.0


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


_ids = iter(range(1, 10_000))
CHANGE = [{"code": "AG201", "symbol": "pkg.api.fetch"}]


def rec(kind: str, at: float, pr: int = 1, repo: str = "o/r", actor: str | None = None,
        changes: list[dict[str, Any]] | None = None, **detail: Any) -> AuditRecord:
    return AuditRecord(next(_ids), at, kind, repo, pr, "h", actor, "fp", CHANGE if changes is None else changes, detail)


def run(at: float, pr: int = 1, repo: str = "o/r", duration: float = 1.0, wait: float = 0.0,
        **findings: int) -> RunRecord:
    return RunRecord(repo, pr, "h", "success", duration, wait, dict(findings), 1, at)


def seen(rule: str, fp: str, pr: int = 1) -> SeenFinding:
    return SeenFinding("o/r", pr, fp, rule, "a.py", 1, "m", "c", "h")


def fb(rule: str, fp: str, actor: str, pr: int = 1) -> Feedback:
    return Feedback("o/r", pr, rule, fp, "c", "a.py", 1, "m", actor, "command")


def test_bucket_start_day_week_month() -> None:
    t = ts("2026-11-19T15:30:00")  # a Thursday
    assert metrics.bucket_start(t, "day") == ts("2026-11-19T00:00:00")
    assert metrics.bucket_start(t, "week") == ts("2026-11-16T00:00:00")
    assert metrics.bucket_start(t, "month") == ts("2026-11-01T00:00:00")
    with pytest.raises(ValueError, match="day, week or month"):
        metrics.bucket_start(t, "year")


def test_findings_per_rule_counts_each_pr_once_a_bucket_by_its_last_run() -> None:
    mon = ts("2026-11-16T09:00:00")
    runs = [
        run(mon, pr=1, AG101=3), run(mon + 3600, pr=1, AG101=1, AG107=2),  # same week: the later run counts
        run(mon + 2 * DAY, pr=2, AG101=4),
        run(mon + 7 * DAY, pr=1, AG107=5),  # next week
    ]
    got = metrics.findings_per_rule(runs, "week")
    week1, week2 = ts("2026-11-16T00:00:00"), ts("2026-11-23T00:00:00")
    assert got == {"AG101": {week1: 5}, "AG107": {week1: 2, week2: 5}}
    assert metrics.findings_total(runs) == {"AG107": 5, "AG101": 4}


def test_reported_false_rate_counts_distinct_findings() -> None:
    shown = [seen("AG101", "a"), seen("AG101", "b"), seen("AG101", "c"), seen("AG101", "d"), seen("AG107", "x")]
    feedback = [fb("AG101", "a", "ann"), fb("AG101", "a", "bob"), fb("AG113", "z", "ann")]  # two people, one finding
    got = {p.rule: p for p in metrics.reported_false_rate(shown, feedback)}
    assert (got["AG101"].shown, got["AG101"].reported, got["AG101"].rate) == (4, 1, 0.25)
    assert got["AG107"].rate == 0.0
    # reported before the window's runs showed it: still counted as shown once
    assert (got["AG113"].shown, got["AG113"].reported, got["AG113"].rate) == (1, 1, 1.0)


def test_breaking_changes_proposed_approved_bypassed_unapproved() -> None:
    t = ts("2026-11-02T10:00:00")
    records = [
        rec("gate", t, pr=1, conclusion="failure"), rec("approval", t + 10, pr=1, actor="alice"),
        rec("merge", t + 20, pr=1, actor="dev", gate="success"),
        rec("gate", t, pr=2, conclusion="failure"),
        rec("merge", t + 30, pr=2, actor="mallory", gate="failure"),
        rec("bypass", t + 30, pr=2, actor="mallory", gate="failure", reason="hotfix for outage"),
        rec("gate", t, pr=3, changes=[], conclusion="success"),  # nothing breaking
        rec("merge", t + 40, pr=3, changes=[], gate="success"),
        rec("gate", t, pr=4, conclusion="failure"),
        rec("merge", t + 50, pr=4, actor="eve", gate="neutral"),  # warn mode: merged unapproved, no bypass record
        rec("gate", t, pr=5, conclusion="failure"),
        rec("emergency-bypass", t + 5, pr=5, actor="olga", reason="release freeze exception"),  # the command
        rec("merge", t + 60, pr=5, actor="dev", gate="success"),  # the bypass made the gate pass at that head
    ]
    b = metrics.breaking_changes(records)
    assert (b.proposed, b.approved, b.bypassed, b.unapproved_merged) == (4, 1, 2, 2)
    assert [(x["pr"], x["by"], x["reason"], x["how"]) for x in b.bypasses] == [
        (2, "mallory", "hotfix for outage", "merged while the gate failed"),
        (5, "olga", "release freeze exception", "bypass command")]
    assert [u["pr"] for u in b.unapproved] == [2, 4]


def test_time_to_approval_from_first_breaking_gate_with_target() -> None:
    t = ts("2026-11-02T10:00:00")
    records = [
        rec("gate", t, pr=1), rec("gate", t + DAY, pr=1), rec("approval", t + 2 * DAY, pr=1, actor="a"),
        rec("approval", t + 3 * DAY, pr=1, actor="b"),  # a second approval does not restart the clock
        rec("gate", t, pr=2), rec("approval", t + 20 * DAY, pr=2, actor="a"),  # over the two-week target
        rec("gate", t, pr=3), rec("approval", t + 4 * DAY, pr=3, actor="a"),
        rec("gate", t, pr=4),  # still waiting at `now`, past the target
        rec("gate", t + 29 * DAY, pr=5),  # waiting, within the target
        rec("gate", t, pr=6), rec("merge", t + DAY, pr=6),  # merged without approval: not waiting
    ]
    got = metrics.time_to_approval(records, now=t + 30 * DAY)
    assert sorted(s["seconds"] for s in got.samples) == [2 * DAY, 4 * DAY, 20 * DAY]
    assert got.p50_s == 4 * DAY and got.p90_s == 20 * DAY
    assert got.within_target == 2
    assert (got.waiting, got.waiting_over_target) == (2, 1)


def test_approvers_stale_and_run_performance() -> None:
    t = ts("2026-11-02T10:00:00")
    records = [rec("approval", t, actor="alice"), rec("approval", t, pr=2, actor="bob"),
               rec("approval", t, pr=3, actor="alice"), rec("stale", t + 5, actor="bob")]
    assert metrics.approvers(records) == {"alice": 2, "bob": 1}
    assert [s["approver"] for s in metrics.stale_approvals(records)] == ["bob"]
    runs = [run(t + i, duration=float(d), wait=float(w)) for i, (d, w) in enumerate(
        [(1, 0), (2, 1), (3, 0), (4, 2), (100, 30)])]
    perf = metrics.run_performance(runs)
    assert (perf.runs, perf.duration_p50_s, perf.duration_p95_s) == (5, 3.0, 100.0)
    assert (perf.queue_wait_p50_s, perf.queue_wait_p95_s) == (1.0, 30.0)
    assert metrics.run_performance([]).duration_p50_s is None


def test_months() -> None:
    start, end = metrics.month_bounds("2026-12")
    assert start == ts("2026-12-01T00:00:00") and end == ts("2027-01-01T00:00:00")
    assert metrics.previous_month("2027-01") == "2026-12" and metrics.previous_month("2026-11") == "2026-10"
    for bad in ("2026-13", "26-11", "2026/11", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            metrics.month_bounds(bad)
