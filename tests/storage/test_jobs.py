"""The job queue on both engines: leases, per-key serialization, retries with backoff, dead letters."""

from __future__ import annotations

import asyncio
import time

from asyncguard.bot.storage import Database, jobs
from asyncguard.bot.storage.jobs import JobQueue, backoff


async def _put(db: Database, n: int = 1, **kw: object) -> list[int]:
    async with db.begin() as conn:
        return [await jobs.enqueue(conn, "t", {"n": i}, **kw) for i in range(n)]  # type: ignore[arg-type]


async def test_claim_run_succeed(database_url: str) -> None:
    db = Database(database_url)
    q = JobQueue(db)
    assert await q.claim("w1") is None
    [jid] = await _put(db)
    job = await q.claim("w1")
    assert job is not None and job.id == jid and job.attempts == 1 and job.payload == {"n": 0}
    assert await q.claim("w2") is None  # running: nobody else gets it
    async with db.begin() as conn:
        assert await q.succeed(conn, job, "w1")
    assert await q.counts() == {"done": 1}
    await db.close()


async def test_one_running_job_per_lock_key(database_url: str) -> None:
    db = Database(database_url)
    q = JobQueue(db)
    await _put(db, 2, lock_key="pr:o/r#1")
    await _put(db, 1, lock_key="pr:o/r#2")
    a = await q.claim("w1")
    b = await q.claim("w2")
    assert a is not None and b is not None and {a.lock_key, b.lock_key} == {"pr:o/r#1", "pr:o/r#2"}
    assert await q.claim("w3") is None  # the second job of #1 waits for the first
    async with db.begin() as conn:
        await q.succeed(conn, a if a.lock_key == "pr:o/r#1" else b, "w1" if a.lock_key == "pr:o/r#1" else "w2")
    c = await q.claim("w3")
    assert c is not None and c.lock_key == "pr:o/r#1"
    await db.close()


async def test_failures_back_off_then_dead_letter(database_url: str) -> None:
    db = Database(database_url)
    q = JobQueue(db, backoff_base=0.05)
    await _put(db, max_attempts=3)
    for attempt in (1, 2, 3):
        deadline = time.monotonic() + 5
        job = await q.claim("w")
        while job is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            job = await q.claim("w")
        assert job is not None and job.attempts == attempt
        status = await q.fail(job, "w", f"boom {attempt}")
        assert status == ("dead" if attempt == 3 else "queued")
        if attempt == 1:
            assert await q.claim("w") is None  # not before its backoff
    [dead] = await q.listing("dead")
    assert dead.last_error == "boom 3" and dead.attempts == 3
    assert await q.claim("w") is None
    await db.close()


def test_backoff_grows_and_is_capped() -> None:
    assert all(0.5 <= backoff(1, 1.0) <= 1.0 for _ in range(20))
    assert all(4.0 <= backoff(4, 1.0) <= 8.0 for _ in range(20))
    assert backoff(40, 1.0, cap=10.0) <= 10.0


async def test_expired_lease_is_reaped_for_another_worker(database_url: str) -> None:
    db = Database(database_url)
    q = JobQueue(db, lease=0.2)
    await _put(db, max_attempts=2)
    first = await q.claim("dies")
    assert first is not None
    assert await q.reap() == ([], [])  # lease still valid
    await asyncio.sleep(0.3)
    requeued, dead = await q.reap()
    assert [j.id for j in requeued] == [first.id] and dead == []
    assert not await q.renew(first.id, "dies")  # the dead worker's lease is gone
    second = await q.claim("lives")
    assert second is not None and second.id == first.id and second.attempts == 2
    await asyncio.sleep(0.3)
    requeued, dead = await q.reap()
    assert requeued == [] and [j.id for j in dead] == [first.id]  # out of attempts: dead letter
    await db.close()


async def test_release_on_shutdown_does_not_spend_an_attempt(database_url: str) -> None:
    db = Database(database_url)
    q = JobQueue(db)
    await _put(db)
    job = await q.claim("w")
    assert job is not None
    await q.release(job, "w")
    again = await q.claim("w2")
    assert again is not None and again.attempts == 1
    await db.close()


async def test_concurrent_claimers_take_each_job_once(database_url: str) -> None:
    """Four claimers on separate engines (separate connections): 60 jobs, each claimed exactly once."""
    dbs = [Database(database_url) for _ in range(4)]
    await dbs[0].ensure_schema()
    await _put(dbs[0], 60)
    claimed: list[int] = []

    async def claimer(i: int) -> None:
        q = JobQueue(dbs[i])
        while (job := await q.claim(f"w{i}")) is not None:
            claimed.append(job.id)
            async with dbs[i].begin() as conn:
                assert await q.succeed(conn, job, f"w{i}")

    await asyncio.gather(*(claimer(i) for i in range(4)))
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 60
    for d in dbs:
        await d.close()
