"""The durable job queue: enqueue in the caller's transaction, claim with a lease, retry with backoff.

Claiming is one short transaction. On PostgreSQL, candidates are taken `FOR UPDATE SKIP LOCKED`
(workers never wait on each other's rows) and a job with a `lock_key` is claimed only under a
transaction-scoped advisory lock on that key and only while no other job with the key runs, so
one PR's jobs run one at a time across every replica. On SQLite the claim runs in `BEGIN IMMEDIATE`
(one writer at a time), which gives the same guarantee.

A claimed job holds a lease that its worker renews; a worker that dies (SIGKILL, OOM, lost node)
stops renewing, and `reap` puts the job back for another worker. A job that keeps failing is
`dead`: it stays in the table as the dead-letter list (`asyncguard jobs`).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from asyncguard.bot.storage.db import Database
from asyncguard.bot.storage.tables import jobs

DEFAULT_LEASE = 60.0
DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    lock_key: str | None
    coalesce_key: str | None
    delivery_id: str | None
    created: float
    last_error: str | None = None
    status: str = "running"

    @classmethod
    def from_row(cls, row: Any) -> Job:
        return cls(id=row.id, kind=row.kind, payload=json.loads(row.payload), attempts=row.attempts,
                   max_attempts=row.max_attempts, lock_key=row.lock_key, coalesce_key=row.coalesce_key,
                   delivery_id=row.delivery_id, created=row.created, last_error=row.last_error, status=row.status)


def backoff(attempts: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds before retry number `attempts` (1, 2, ...): exponential with full jitter, capped."""
    return random.uniform(0.5, 1.0) * min(cap, base * 2 ** max(0, attempts - 1))


async def enqueue(
    conn: AsyncConnection, kind: str, payload: dict[str, Any], *, lock_key: str | None = None,
    coalesce_key: str | None = None, delivery_id: str | None = None, delay: float = 0.0,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS, now: float | None = None,
) -> int:
    """Insert a queued job in the caller's transaction; its id."""
    now = time.time() if now is None else now
    result = await conn.execute(jobs.insert().values(
        kind=kind, payload=json.dumps(payload, sort_keys=True), status="queued", attempts=0,
        max_attempts=max_attempts, run_at=now + delay, lock_key=lock_key, coalesce_key=coalesce_key,
        delivery_id=delivery_id, created=now, updated=now,
    ).returning(jobs.c.id))
    return int(result.scalar_one())


async def queued_for(conn: AsyncConnection, coalesce_key: str) -> Job | None:
    """The queued job with this coalescing key (at most one by construction), locked for update."""
    query = select(jobs).where(jobs.c.coalesce_key == coalesce_key, jobs.c.status == "queued").order_by(jobs.c.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query.limit(1))).first()
    return Job.from_row(row) if row else None


async def running_for(conn: AsyncConnection, coalesce_key: str) -> Job | None:
    row = (await conn.execute(select(jobs).where(
        jobs.c.coalesce_key == coalesce_key, jobs.c.status == "running").limit(1))).first()
    return Job.from_row(row) if row else None


async def replace_payload(conn: AsyncConnection, job_id: int, payload: dict[str, Any], run_at: float) -> None:
    await conn.execute(update(jobs).where(jobs.c.id == job_id).values(
        payload=json.dumps(payload, sort_keys=True), run_at=run_at, updated=time.time()))


class JobQueue:
    """Claim, renew, finish and inspect jobs on one `Database`."""

    def __init__(self, db: Database, *, lease: float = DEFAULT_LEASE, backoff_base: float = BACKOFF_BASE) -> None:
        self.db = db
        self.lease = lease
        self.backoff_base = backoff_base

    async def claim(self, worker: str, kinds: tuple[str, ...] | None = None) -> Job | None:
        """The next ready job, now `running` under this worker's lease; None when there is none."""
        now = time.time()
        running = jobs.alias("running")
        free = ~exists().where(and_(running.c.lock_key == jobs.c.lock_key, running.c.status == "running"))
        query = select(jobs.c.id, jobs.c.lock_key).where(
            jobs.c.status == "queued", jobs.c.run_at <= now, (jobs.c.lock_key.is_(None)) | free)
        if kinds:
            query = query.where(jobs.c.kind.in_(kinds))
        query = query.order_by(jobs.c.run_at, jobs.c.id)
        async with self.db.begin() as conn:
            if self.db.is_postgresql:
                rows = (await conn.execute(query.limit(8).with_for_update(skip_locked=True, of=jobs))).all()
                chosen = None
                for row in rows:
                    if row.lock_key is None:
                        chosen = row.id
                        break
                    got = (await conn.execute(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))"),
                                              {"k": row.lock_key})).scalar()
                    if not got:
                        continue
                    busy = (await conn.execute(select(func.count()).select_from(jobs).where(
                        jobs.c.lock_key == row.lock_key, jobs.c.status == "running"))).scalar()
                    if not busy:
                        chosen = row.id
                        break
            else:
                first = (await conn.execute(query.limit(1))).first()
                chosen = first.id if first else None
            if chosen is None:
                return None
            result = await conn.execute(update(jobs).where(jobs.c.id == chosen).values(
                status="running", attempts=jobs.c.attempts + 1, lease_until=now + self.lease, worker=worker,
                updated=now).returning(*jobs.c))
            return Job.from_row(result.one())

    async def renew(self, job_id: int, worker: str) -> bool:
        """Extend the lease; False when the job is no longer ours (reaped after a stall)."""
        now = time.time()
        async with self.db.begin() as conn:
            result = await conn.execute(update(jobs).where(
                jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.status == "running"
            ).values(lease_until=now + self.lease, updated=now))
        return bool(result.rowcount)

    async def succeed(self, conn: AsyncConnection, job: Job, worker: str) -> bool:
        """Mark the job done in the caller's transaction (with whatever else it commits); False if not ours."""
        result = await conn.execute(update(jobs).where(
            jobs.c.id == job.id, jobs.c.worker == worker, jobs.c.status == "running"
        ).values(status="done", lease_until=None, updated=time.time()))
        return bool(result.rowcount)

    async def fail(self, job: Job, worker: str, error: str) -> str:
        """Back to `queued` after a backoff, or `dead` after its last attempt; the new status."""
        now = time.time()
        status = "dead" if job.attempts >= job.max_attempts else "queued"
        async with self.db.begin() as conn:
            await conn.execute(update(jobs).where(
                jobs.c.id == job.id, jobs.c.worker == worker, jobs.c.status == "running"
            ).values(status=status, lease_until=None, worker=None, last_error=error[:4000], updated=now,
                     run_at=now + backoff(job.attempts, self.backoff_base)))
        return status

    async def release(self, job: Job, worker: str) -> None:
        """Give a job back untouched (graceful shutdown): its attempt does not count."""
        async with self.db.begin() as conn:
            await conn.execute(update(jobs).where(
                jobs.c.id == job.id, jobs.c.worker == worker, jobs.c.status == "running"
            ).values(status="queued", lease_until=None, worker=None, attempts=jobs.c.attempts - 1,
                     updated=time.time()))

    async def reap(self) -> tuple[list[Job], list[Job]]:
        """Jobs whose lease ran out (their worker died): (requeued, dead)."""
        now = time.time()
        async with self.db.begin() as conn:
            query = select(jobs).where(jobs.c.status == "running", jobs.c.lease_until < now)
            if self.db.is_postgresql:
                query = query.with_for_update(skip_locked=True)
            stale = [Job.from_row(r) for r in (await conn.execute(query)).all()]
            requeued: list[Job] = []
            dead: list[Job] = []
            for job in stale:
                status = "dead" if job.attempts >= job.max_attempts else "queued"
                await conn.execute(update(jobs).where(jobs.c.id == job.id).values(
                    status=status, worker=None, lease_until=None, updated=now, run_at=now,
                    last_error=f"the worker stopped renewing its lease (attempt {job.attempts})"))
                (dead if status == "dead" else requeued).append(job)
        return requeued, dead

    async def counts(self) -> dict[str, int]:
        async with self.db.connect() as conn:
            rows = (await conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status))).all()
        return {r[0]: int(r[1]) for r in rows}

    async def oldest_queued_age(self) -> float:
        async with self.db.connect() as conn:
            oldest = (await conn.execute(select(func.min(jobs.c.created)).where(jobs.c.status == "queued"))).scalar()
        return max(0.0, time.time() - oldest) if oldest is not None else 0.0

    async def listing(self, status: str | None = None, limit: int = 100) -> list[Job]:
        query = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
        if status:
            query = query.where(jobs.c.status == status)
        async with self.db.connect() as conn:
            return [Job.from_row(r) for r in (await conn.execute(query)).all()]

    async def idle(self) -> bool:
        """No job queued or running (tests, drain)."""
        counts = await self.counts()
        return not counts.get("queued") and not counts.get("running")

    async def prune(self, keep_seconds: float = 24 * 3600) -> int:
        """Forget finished jobs (dead ones stay: they are the dead-letter list)."""
        from sqlalchemy import delete

        async with self.db.begin() as conn:
            result = await conn.execute(delete(jobs).where(jobs.c.status == "done",
                                                           jobs.c.updated < time.time() - keep_seconds))
        return int(result.rowcount or 0)
