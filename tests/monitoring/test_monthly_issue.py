"""The monthly report issue, through the real bot against the fake GitHub: opened on the 1st, kept
current during the 1st, published late when the bot missed the 1st, never duplicated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fakegithub import FakeGitHub, GitRepo
from fakegithub.monitoring_routes import mon

from asyncguard.bot.monitoring.schedule import REPORTS, due
from asyncguard.bot.monitoring.store import RunRecord

from .seed import seed

TARGET = "acme/governance"


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_due() -> None:
    assert due(ts("2026-12-01T00:05:00"), published=True)  # the 1st: keep it current
    assert due(ts("2026-12-07T10:00:00"), published=False)  # missed the 1st: publish now
    assert not due(ts("2026-12-07T10:00:00"), published=True)


async def test_issue_opened_updated_and_not_duplicated(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], GitRepo], start_bot: Callable[..., Awaitable[Any]]
) -> None:
    git = make_git_repo("governance")
    git.commit("init", {"README.md": "reports\n"})
    fake_github.add_repo(TARGET, git, installation_id=5)
    bot = await start_bot(report_repo=TARGET, report_check_seconds=3600.0)
    reports = bot.app[REPORTS]
    await seed(bot.ctx.monitoring_store(), bot.ctx.governance_store(), now=ts("2026-11-25T12:00:00"))

    number = await reports.tick(now=ts("2026-12-01T06:00:00"))
    issues = mon(fake_github).issues[TARGET]
    assert list(issues) == [number]
    issue = issues[number]
    assert issue["title"] == "asyncguard governance report 2026-11" and issue["labels"] == ["asyncguard-report"]
    assert "**1 PR(s) with breaking changes were merged without approval.**" in issue["body"]
    assert "incident 4711 hotfix" in issue["body"] and "change since 2026-10" in issue["body"]

    await bot.ctx.monitoring_store().record_run(
        RunRecord("octo/shop", 99, "h", "success", 1.0, 0.0, {"AG101": 1}, 42, ts("2026-11-30T23:59:00")))
    assert await reports.tick(now=ts("2026-12-01T18:00:00")) == number  # same day: updated in place
    assert list(mon(fake_github).issues[TARGET]) == [number]
    assert "| PR runs | 7 |" in mon(fake_github).issues[TARGET][number]["body"]
    assert await reports.tick(now=ts("2026-12-02T06:00:00")) is None  # published: nothing until next month
    assert len(fake_github.calls("issues/create")) == 1 and len(fake_github.calls("issues/update")) == 1

    late = await reports.tick(now=ts("2027-01-09T06:00:00"))  # the bot was down on January 1st
    assert late is not None and late != number
    assert mon(fake_github).issues[TARGET][late]["title"] == "asyncguard governance report 2026-12"
