"""The monthly report as an issue: on the 1st (UTC) the bot opens, or updates, an issue in the configured
repository with last month's report. `due` decides (pure); `MonthlyReports.tick` applies it.

A bot that was down on the 1st publishes at its next check; during the 1st it keeps the issue current
(records of the last hours of the month may still be arriving).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from asyncguard.bot.monitoring.collect import last_month, monthly
from asyncguard.bot.monitoring.report import render_md

log = logging.getLogger("asyncguard.reports")
LABEL = "asyncguard-report"


def due(now: float, published: bool) -> bool:
    """Publish when it is the 1st, or when last month's report was never published."""
    return datetime.fromtimestamp(now, UTC).day == 1 or not published


def title(month: str) -> str:
    return f"asyncguard governance report {month}"


class MonthlyReports:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.repo: str | None = ctx.settings.report_repo

    async def tick(self, now: float | None = None) -> int | None:
        """Publish if due; the issue number written, or None."""
        if self.repo is None or self.ctx.github is None:
            return None
        now = time.time() if now is None else now
        month = last_month(now)
        store = self.ctx.monitoring_store()
        known = await store.report_issue(self.repo, month)
        if not due(now, known is not None):
            return None
        cur, prev, prev_name = await monthly(self.ctx.governance_store(), store, month)
        body = render_md(month, cur, prev, prev_name)
        owner, _, name = self.repo.partition("/")
        app = self.ctx.github.client(None)
        inst = await app.getitem("/repos/{owner}/{repo}/installation", url_vars={"owner": owner, "repo": name})
        gh = self.ctx.github_client(int(inst["id"]))
        url_vars = {"owner": owner, "repo": name}
        if known is not None:
            await gh.patch("/repos/{owner}/{repo}/issues/{issue_number}",
                           url_vars={**url_vars, "issue_number": str(known)}, data={"body": body})
            return known
        created = await gh.post("/repos/{owner}/{repo}/issues", url_vars=url_vars,
                                data={"title": title(month), "body": body, "labels": [LABEL]})
        number = int(created["number"])
        await store.set_report_issue(self.repo, month, number)
        log.info("monthly report %s published as %s#%s", month, self.repo, number)
        return number

    async def run(self) -> None:
        """Check every `report_check_seconds` (first check at start-up); a failure waits for the next."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not publish the monthly report to %s", self.repo)
            await asyncio.sleep(self.ctx.settings.report_check_seconds)


REPORTS: web.AppKey[MonthlyReports] = web.AppKey("monthly_reports", MonthlyReports)


def setup(app: web.Application, ctx: Any) -> None:
    """Run the monthly check in the bot when ASYNCGUARD_REPORT_REPO is set (stopped before cleanup)."""
    reports = MonthlyReports(ctx)
    app[REPORTS] = reports
    tasks: list[asyncio.Task[None]] = []

    async def start(_: Any) -> None:
        if reports.repo is not None and ctx.github is not None:
            tasks.append(asyncio.create_task(reports.run(), name="monthly-report"))

    async def stop(_: Any) -> None:
        for t in tasks:
            t.cancel()
        for t in tasks:
            try:
                await t
            except asyncio.CancelledError:
                pass

    app.on_startup.append(start)
    app.on_shutdown.append(stop)
