"""Read one window's records from the governance and monitoring stores and summarize them."""

from __future__ import annotations

import time
from collections.abc import Set
from datetime import UTC, datetime
from typing import Any

from asyncguard.bot.monitoring.metrics import Summary, month_bounds, previous_month, summarize
from asyncguard.bot.monitoring.store import MonitoringStore


async def summary_for(audit_store: Any, store: MonitoringStore, since: float, until: float,
                repo: str | None = None, repos: Set[str] | None = None) -> Summary:
    """The window's summary for one repository, or all (`repos`: only these may be counted)."""

    def ok(r: Any) -> bool:
        return repos is None or r.repo in repos

    audit = [r for r in await audit_store.records(since=since, repo=repo) if r.ts < until and ok(r)]
    return summarize(
        since=since, until=until, repo=repo, audit=audit,
        runs=[r for r in await store.runs(since, until, repo) if ok(r)],
        shown=[r for r in await store.shown(since, until, repo) if ok(r)],
        feedback=[r for r in await store.feedback(since, until, repo) if ok(r)],
    )


async def monthly(audit_store: Any, store: MonitoringStore, month: str,
            repo: str | None = None) -> tuple[Summary, Summary, str]:
    """(this month, the month before, its name); ValueError for a malformed month."""
    start, end = month_bounds(month)
    prev = previous_month(month)
    p_start, p_end = month_bounds(prev)
    return (await summary_for(audit_store, store, start, end, repo),
            await summary_for(audit_store, store, p_start, p_end, repo), prev)


def last_month(now: float | None = None) -> str:
    """The month that ended most recently (the one a report on the 1st covers)."""
    d = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return f"{d.year - 1}-12" if d.month == 1 else f"{d.year}-{d.month - 1:02d}"
