"""The scheduler alone: one run per PR for the newest head, forced re-runs, no duplicate check runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from asyncguard.bot.scheduler import PRKey, RunRequest, Scheduler

KEY = PRKey(1, "o/r", 7)


class Recorder:
    """Callbacks that record what the scheduler asked for (runs take `run_seconds`)."""

    def __init__(self, run_seconds: float = 0.0) -> None:
        self.created: list[str] = []
        self.ran: list[str] = []
        self.superseded: list[tuple[str, str]] = []
        self.saw_newer: list[tuple[str, str]] = []
        self.run_seconds = run_seconds

    async def create(self, key: PRKey, head: str) -> int:
        self.created.append(head)
        return len(self.created)

    async def run(self, req: RunRequest, latest: Callable[[], str]) -> None:
        self.ran.append(req.head_sha)
        await asyncio.sleep(self.run_seconds)
        if latest() != req.head_sha:
            self.saw_newer.append((req.head_sha, latest()))

    async def supersede(self, req: RunRequest, newer: str) -> None:
        self.superseded.append((req.head_sha, newer))


def scheduler(rec: Recorder, debounce: float = 0.05) -> Scheduler:
    return Scheduler(create_check=rec.create, run=rec.run, supersede=rec.supersede, debounce=debounce, max_concurrent=2)


async def test_burst_runs_only_the_newest_head() -> None:
    rec = Recorder()
    s = scheduler(rec)
    for head in ("a", "b", "c"):
        assert await s.request(KEY, head, "synchronize")
    await s.drain()
    assert rec.created == ["a", "b", "c"]  # every head shows its check at once
    assert rec.ran == ["c"]
    assert rec.superseded == [("a", "b"), ("b", "c")]


async def test_same_head_twice_is_one_check_run_but_rerequest_forces() -> None:
    rec = Recorder()
    s = scheduler(rec)
    assert await s.request(KEY, "a", "synchronize")
    assert not await s.request(KEY, "a", "check_suite")  # pending: same run
    await s.drain()
    assert not await s.request(KEY, "a", "check_suite")  # just done: not again
    assert await s.request(KEY, "a", "rerequested")  # the Re-run button
    await s.drain()
    assert rec.created == ["a", "a"] and rec.ran == ["a", "a"]


async def test_running_run_learns_about_a_newer_head() -> None:
    rec = Recorder(run_seconds=0.3)
    s = scheduler(rec, debounce=0.0)
    await s.request(KEY, "a", "opened")
    await asyncio.sleep(0.1)
    await s.request(KEY, "b", "synchronize")
    await s.drain()
    assert rec.ran == ["a", "b"] and rec.saw_newer == [("a", "b")]


async def test_a_head_can_come_back() -> None:
    rec = Recorder()
    s = scheduler(rec)
    await s.request(KEY, "a", "opened")
    await s.drain()
    await s.request(KEY, "b", "synchronize")
    await s.drain()
    assert await s.request(KEY, "a", "synchronize")  # force-push back to a: runs again
    await s.drain()
    assert rec.ran == ["a", "b", "a"]


async def test_different_prs_run_independently() -> None:
    rec = Recorder(run_seconds=0.1)
    s = scheduler(rec, debounce=0.0)
    await asyncio.gather(*(s.request(PRKey(1, "o/r", n), f"h{n}", "opened") for n in range(4)))
    await s.drain()
    assert sorted(rec.ran) == ["h0", "h1", "h2", "h3"] and rec.superseded == []
