"""PRQueue on both engines: newest head wins, one check run per head, explicit re-runs force a run."""

from __future__ import annotations

from asyncguard.bot.pr_queue import PRQueue, pr_key
from asyncguard.bot.scheduler import PRKey, RunRequest
from asyncguard.bot.storage import Database, jobs
from asyncguard.bot.storage.jobs import JobQueue

KEY = PRKey(1, "o/r", 7)


def _queue(db: Database) -> tuple[PRQueue, list[str], list[tuple[str, str]]]:
    created: list[str] = []
    superseded: list[tuple[str, str]] = []

    async def create(key: PRKey, head: str) -> int:
        created.append(head)
        return len(created)

    async def supersede(req: RunRequest, newer: str) -> None:
        superseded.append((req.head_sha, newer))

    return PRQueue(db, create_check=create, supersede=supersede, debounce=0.0), created, superseded


async def test_burst_coalesces_into_one_queued_run_for_the_newest_head(database_url: str) -> None:
    db = Database(database_url)
    q, created, superseded = _queue(db)
    for head in ("a1", "b2", "c3"):
        assert await q.request(KEY, head, "synchronize")
    assert created == ["a1", "b2", "c3"]  # each head shows its check run at once
    assert superseded == [("a1", "b2"), ("b2", "c3")]  # ...and the older ones end superseded
    [job] = await JobQueue(db).listing("queued")
    assert job.payload["head_sha"] == "c3" and job.payload["check_run_id"] == 3
    assert await q.latest_head(KEY) == "c3"
    await db.close()


async def test_same_head_twice_is_one_run_but_an_explicit_rerun_forces_one(database_url: str) -> None:
    db = Database(database_url)
    q, created, _ = _queue(db)
    assert await q.request(KEY, "a1", "opened")
    assert not await q.request(KEY, "a1", "synchronize")  # already queued
    job = await JobQueue(db).claim("w")
    assert job is not None
    assert not await q.request(KEY, "a1", "synchronize")  # running for that head
    assert await q.request(KEY, "a1", "rerequested")  # the Re-run button: a fresh run after this one
    async with db.begin() as conn:
        assert await jobs.queued_for(conn, pr_key(KEY)) is not None
    assert created == ["a1", "a1"]
    await db.close()


async def test_different_prs_queue_independently(database_url: str) -> None:
    db = Database(database_url)
    q, _, superseded = _queue(db)
    assert await q.request(KEY, "a1", "opened")
    assert await q.request(PRKey(1, "o/r", 8), "z9", "opened")
    assert superseded == [] and len(await JobQueue(db).listing("queued")) == 2
    await db.close()
