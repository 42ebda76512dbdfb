"""Durable jobs through the real server and the fake GitHub, on SQLite and on PostgreSQL.

The web role commits each delivery before it answers; workers run it later, elsewhere; a job that
keeps failing ends its check run with a clear failure and a Re-run button; a check run left in
progress with no job is resumed on the same check run.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable

import pytest
from bot_scenario import REPO, open_pr
from fakegithub import FakeGitHub, GitRepo
from fakegithub.botserver import BotServer

from asyncguard.bot.scheduler import PRKey
from asyncguard.bot.storage.deliveries import DeliveryLog
from asyncguard.bot.storage.jobs import JobQueue

MakeRepo = Callable[[str], GitRepo]
StartBot = Callable[..., Awaitable[BotServer]]


async def test_acknowledged_delivery_survives_until_a_worker_runs_it(
    fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot, database_url: str
) -> None:
    """The defect of #11: an id was "seen" before its work was durable, so a lost job was never redone."""
    web = await start_bot(role="web", database_url=database_url)
    pr = open_pr(fake_github, make_git_repo("shop"), web)
    await pr.event("opened", delivery_id="d-1")  # 202: committed, nobody has run it yet
    assert pr.runs() == []
    assert await DeliveryLog(web.ctx.db).status("d-1") == "queued"
    status, text = await web.webhook.deliver("pull_request", _payload(pr), delivery_id="d-1")
    assert status == 200 and "duplicate" in text  # its job is in the store: redelivery is not needed
    worker = await start_bot(role="worker", database_url=database_url)
    await worker.settle()
    run = pr.run()
    assert run.status == "completed" and run.conclusion == "failure"  # HEAD_BROKEN has a blocking finding
    assert len(pr.runs()) == 1
    assert await DeliveryLog(web.ctx.db).status("d-1") == "done"


def _payload(pr: object) -> dict:  # type: ignore[type-arg]
    from bot_scenario import pull_request_payload

    return pull_request_payload(pr.fake, REPO, pr.number, "opened")  # type: ignore[attr-defined]


async def test_a_run_that_keeps_failing_ends_with_a_failure_and_a_rerun_button(
    fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot, database_url: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    bot = await start_bot(database_url=database_url)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    calls = []

    async def broken_run(req: object) -> str:
        calls.append(req)
        raise RuntimeError("the analysis host is on fire")

    monkeypatch.setattr(bot.ctx, "run", broken_run)
    await pr.event("opened")
    await bot.settle(within=60)
    assert len(calls) == 5  # the default number of attempts, with backoff between them
    run = pr.run()
    assert run.status == "completed" and run.conclusion == "failure"
    assert "tried 5 times" in run.output["summary"] and "on fire" in run.output["summary"]
    assert [a["identifier"] for a in run.history[-1].get("actions", [])] == ["rerun"]
    [dead] = await JobQueue(bot.ctx.db).listing("dead")
    assert dead.kind == "pr_run" and dead.attempts == 5
    # the dead-letter list, as an operator sees it
    from asyncguard.bot.cli import jobs_command

    monkeypatch.setenv("ASYNCGUARD_DATABASE_URL", database_url)
    assert await asyncio.to_thread(jobs_command, argparse.Namespace(status="dead", limit=10, env_file=None)) == 0
    out = capsys.readouterr().out
    assert "1 dead" in out and f"#{dead.id} pr_run" in out and "on fire" in out


async def test_a_check_run_left_in_progress_is_resumed_on_the_same_check_run(
    fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot, database_url: str
) -> None:
    """#15 "Runs left hanging": a check run in progress with no live job (its process died)."""
    from asyncguard.bot.app import WORKER

    bot = await start_bot(database_url=database_url)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    check_run_id = await bot.ctx.create_check(PRKey(42, REPO, 1), pr.head)  # ...and then the process died
    assert check_run_id is not None and pr.run().status == "in_progress"
    worker = bot.app[WORKER]
    assert worker is not None
    worker.hanging_after = 0.0
    assert await worker.resume_hanging() == 1
    await bot.settle()
    run = pr.run()  # still exactly one check run for the head: the same one, completed
    assert run.id == check_run_id and run.status == "completed" and run.conclusion == "failure"
    assert await worker.resume_hanging() == 0
    # a new event for the same head while a check run is open reuses it instead of leaving it dangling
    again = await bot.ctx.create_check(PRKey(42, REPO, 1), pr.head)
    assert again != check_run_id  # the old one is completed: a fresh run gets a fresh check run
    assert await bot.ctx.create_check(PRKey(42, REPO, 1), pr.head) == again  # open: reused


async def test_store_down_means_5xx_and_not_ready(
    fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot
) -> None:
    """Nothing is acknowledged that was not committed; GitHub redelivers a 5xx."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    bot = await start_bot(role="web", database_url=f"postgresql+asyncpg://u:p@127.0.0.1:{port}/none")
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    status, text = await bot.webhook.deliver("pull_request", _payload(pr), delivery_id="d-down")
    assert status == 503 and "redeliver" in text
    async with bot.session.get(f"{bot.url}/readyz") as r:
        assert r.status == 503 and "database" in (await r.text())
