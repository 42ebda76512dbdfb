"""Monitoring figures as pure functions of records: no store, no clock, no I/O.

Inputs are the governance audit records, the monitoring store's run records, the distinct findings
first shown in the window and the false-positive reports. `summarize` gathers every figure the
dashboard and the monthly report show for one window.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from asyncguard.bot.governance.audit_report import median, percentile
from asyncguard.bot.governance.audit_store import AuditRecord
from asyncguard.bot.monitoring.store import Feedback, RunRecord, SeenFinding

TARGET_SECONDS = 14 * 86400  # the seed's target: interface design to approval in under two weeks
DAY = 86400.0
# audit kinds that mean the gate was bypassed ("emergency-bypass": the bypass command, with its reason)
BYPASS_KINDS = {"emergency-bypass": "bypass command", "bypass": "merged while the gate failed"}


def bucket_start(ts: float, width: str) -> float:
    """Start (UTC) of the day, ISO week (Monday) or month holding `ts`."""
    d = datetime.fromtimestamp(ts, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if width == "week":
        d -= timedelta(days=d.weekday())
    elif width == "month":
        d = d.replace(day=1)
    elif width != "day":
        raise ValueError(f"bucket width must be day, week or month, not {width!r}")
    return d.timestamp()


def findings_per_rule(runs: Sequence[RunRecord], width: str = "week") -> dict[str, dict[float, int]]:
    """rule -> bucket start -> findings shown, counting each PR once a bucket (its last run there).

    A PR pushed ten times in a week is ten runs but one set of findings a reviewer looked at.
    """
    last: dict[tuple[float, str, int], RunRecord] = {}
    for r in sorted(runs, key=lambda r: r.ts):
        last[(bucket_start(r.ts, width), r.repo, r.pr)] = r
    out: dict[str, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    for (bucket, _, _), r in last.items():
        for rule, n in r.findings.items():
            out[rule][bucket] += n
    return {rule: dict(sorted(b.items())) for rule, b in sorted(out.items())}


def findings_total(runs: Sequence[RunRecord]) -> dict[str, int]:
    """rule -> findings on the PRs of these runs, each PR counted by its last run."""
    last: dict[tuple[str, int], RunRecord] = {}
    for r in sorted(runs, key=lambda r: r.ts):
        last[(r.repo, r.pr)] = r
    totals: Counter[str] = Counter()
    for r in last.values():
        totals.update(r.findings)
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class RulePrecision:
    rule: str
    shown: int  # distinct findings shown on PRs
    reported: int  # of those (or earlier ones), distinct findings someone marked as wrong
    rate: float | None  # reported / shown; None when nothing was shown


def reported_false_rate(shown: Iterable[SeenFinding], feedback: Iterable[Feedback]) -> list[RulePrecision]:
    """Per rule: the share of shown findings people reported as false positives (the precision users see).

    Counted by distinct (repo, PR, fingerprint): two people reporting one finding is one wrong finding.
    """
    seen: dict[str, set[tuple[str, int, str]]] = defaultdict(set)
    for s in shown:
        seen[s.rule].add((s.repo, s.pr, s.fingerprint))
    reported: dict[str, set[tuple[str, int, str]]] = defaultdict(set)
    for f in feedback:
        reported[f.rule].add((f.repo, f.pr, f.fingerprint))
    out = []
    for rule in sorted(set(seen) | set(reported)):
        n_shown, n_rep = len(seen[rule] | reported[rule]), len(reported[rule])
        out.append(RulePrecision(rule, n_shown, n_rep, n_rep / n_shown if n_shown else None))
    return out


@dataclass
class BreakingChanges:
    proposed: int = 0  # PRs whose gate saw governed breaking changes
    approved: int = 0  # of those, PRs with an approval
    bypassed: int = 0  # PRs whose gate was bypassed: `/asyncguard bypass <reason>`, or merged while it failed
    unapproved_merged: int = 0  # PRs merged with breaking changes while the gate was not success
    bypasses: list[dict[str, Any]] = field(default_factory=list)
    unapproved: list[dict[str, Any]] = field(default_factory=list)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _changes(r: AuditRecord) -> list[str]:
    return [f"{c.get('code')} {c.get('symbol')}" for c in r.changes]


def breaking_changes(records: Sequence[AuditRecord]) -> BreakingChanges:
    out = BreakingChanges()
    proposed: set[tuple[str, int]] = set()
    approved: set[tuple[str, int]] = set()
    bypassed: set[tuple[str, int]] = set()
    unapproved: set[tuple[str, int]] = set()
    for r in records:
        key = (r.repo, r.pr)
        if r.kind == "gate" and r.changes:
            proposed.add(key)
        elif r.kind == "approval":
            approved.add(key)
        elif r.kind in BYPASS_KINDS and key not in bypassed:
            bypassed.add(key)
            out.bypasses.append({"repo": r.repo, "pr": r.pr, "at": _iso(r.ts), "by": r.actor,
                                 "reason": str(r.detail.get("reason") or ""), "how": BYPASS_KINDS[r.kind],
                                 "changes": _changes(r)})
        elif r.kind == "merge" and r.changes and r.detail.get("gate") != "success" and key not in unapproved:
            unapproved.add(key)
            out.unapproved.append({"repo": r.repo, "pr": r.pr, "at": _iso(r.ts), "by": r.actor,
                                   "gate": r.detail.get("gate"), "changes": _changes(r)})
    out.proposed, out.approved = len(proposed), len(approved & proposed)
    out.bypassed, out.unapproved_merged = len(bypassed), len(unapproved)
    return out


@dataclass
class TimeToApproval:
    samples: list[dict[str, Any]] = field(default_factory=list)  # repo, pr, seconds, approver
    p50_s: float | None = None
    p90_s: float | None = None
    within_target: int = 0  # approvals within TARGET_SECONDS
    waiting: int = 0  # PRs with breaking changes and no approval yet
    waiting_over_target: int = 0  # ...for longer than the target at `now`


def time_to_approval(records: Sequence[AuditRecord], now: float) -> TimeToApproval:
    """From the first gate that saw breaking changes on a PR to its first approval."""
    first: dict[tuple[str, int], float] = {}
    done: set[tuple[str, int]] = set()
    closed: set[tuple[str, int]] = set()
    out = TimeToApproval()
    for r in sorted(records, key=lambda r: (r.ts, r.id)):
        key = (r.repo, r.pr)
        if r.kind == "gate" and r.changes:
            first.setdefault(key, r.ts)
        elif r.kind == "approval" and key in first and key not in done:
            done.add(key)
            out.samples.append({"repo": r.repo, "pr": r.pr, "seconds": round(r.ts - first[key], 3),
                                "approver": r.actor})
        elif r.kind == "merge":
            closed.add(key)
    secs = [s["seconds"] for s in out.samples]
    out.p50_s, out.p90_s = median(secs), percentile(secs, 90)
    out.within_target = sum(1 for s in secs if s <= TARGET_SECONDS)
    open_waiting = [first[k] for k in first if k not in done and k not in closed]
    out.waiting = len(open_waiting)
    out.waiting_over_target = sum(1 for t in open_waiting if now - t > TARGET_SECONDS)
    return out


def approvers(records: Sequence[AuditRecord]) -> dict[str, int]:
    """Approvals by approver, most first."""
    return dict(Counter(r.actor or "?" for r in records if r.kind == "approval").most_common())


def stale_approvals(records: Sequence[AuditRecord]) -> list[dict[str, Any]]:
    return [{"repo": r.repo, "pr": r.pr, "at": _iso(r.ts), "approver": r.actor, "changes": _changes(r)}
            for r in records if r.kind == "stale"]


@dataclass
class RunPerformance:
    runs: int = 0
    duration_p50_s: float | None = None
    duration_p95_s: float | None = None
    queue_wait_p50_s: float | None = None
    queue_wait_p95_s: float | None = None
    by_conclusion: dict[str, int] = field(default_factory=dict)


def run_performance(runs: Sequence[RunRecord]) -> RunPerformance:
    """PR run duration and queue wait: the 'performance impact of the validation tools'."""
    durations = [r.duration_s for r in runs]
    waits = [r.queue_wait_s for r in runs]
    return RunPerformance(
        runs=len(runs),
        duration_p50_s=median(durations), duration_p95_s=percentile(durations, 95),
        queue_wait_p50_s=median(waits), queue_wait_p95_s=percentile(waits, 95),
        by_conclusion=dict(Counter(r.conclusion for r in runs).most_common()),
    )


@dataclass
class Summary:
    """Every figure for one window [since, until)."""

    since: float
    until: float
    repo: str | None
    findings_by_rule: dict[str, int]
    precision: list[RulePrecision]
    breaking: BreakingChanges
    tta: TimeToApproval
    approvers: dict[str, int]
    stale: list[dict[str, Any]]
    performance: RunPerformance
    feedback: list[dict[str, Any]]
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["since"], d["until"] = _iso(self.since), _iso(self.until)
        return d


def summarize(
    *, since: float, until: float, audit: Sequence[AuditRecord], runs: Sequence[RunRecord],
    shown: Sequence[SeenFinding], feedback: Sequence[Feedback], repo: str | None = None,
) -> Summary:
    """The window's figures; the caller passes only records of the window (and of `repo`)."""
    return Summary(
        since=since, until=until, repo=repo,
        findings_by_rule=findings_total(runs),
        precision=reported_false_rate(shown, feedback),
        breaking=breaking_changes(audit),
        tta=time_to_approval(audit, until),
        approvers=approvers(audit),
        stale=stale_approvals(audit),
        performance=run_performance(runs),
        feedback=[{"repo": f.repo, "pr": f.pr, "rule": f.rule, "path": f.path, "line": f.line, "by": f.actor,
                   "reason": f.reason, "via": f.via, "at": _iso(f.ts)} for f in feedback],
        counts=dict(Counter(r.kind for r in audit)),
    )


def month_bounds(month: str) -> tuple[float, float]:
    """[start, end) of `YYYY-MM` in UTC; ValueError with a clear message otherwise."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"--month {month!r}: expected YYYY-MM, e.g. 2026-11") from None
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start.timestamp(), end.timestamp()


def previous_month(month: str) -> str:
    start = datetime.strptime(month, "%Y-%m")
    return f"{start.year - 1}-12" if start.month == 1 else f"{start.year}-{start.month - 1:02d}"
