"""PR runs as durable jobs: one queued run per PR for its newest head, one running at a time.

The drop-in for the in-process `Scheduler` when many workers share a database. `request` creates
(or reuses) the `asyncguard` check run for the head at once, so the PR shows it immediately, then
coalesces into the PR's queued `pr_run` job ("newest head wins": a queued run for an older head
ends `neutral`, superseded). The job's `lock_key` is the PR, so one PR's runs never overlap across
replicas, and a run in progress reads the PR's newest head from the store before it posts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from asyncguard.bot.scheduler import FORCE_REASONS, PRKey, RunRequest
from asyncguard.bot.storage import Database, jobs, locks, pr_state
from asyncguard.bot.storage.tables import jobs as jobs_table

log = logging.getLogger("asyncguard.pr_queue")

RECENT = 120.0  # a finished run for the same head this recent answers a repeated event


def pr_key(key: PRKey) -> str:
    return f"{key.installation_id}:{key.repo}#{key.number}"


def request_payload(req: RunRequest) -> dict[str, Any]:
    return {"installation_id": req.key.installation_id, "repo": req.key.repo, "number": req.key.number,
            "head_sha": req.head_sha, "check_run_id": req.check_run_id, "reason": req.reason,
            "requested_at": req.requested_at}


def request_from(payload: dict[str, Any]) -> RunRequest:
    key = PRKey(int(payload["installation_id"]), str(payload["repo"]), int(payload["number"]))
    return RunRequest(key, str(payload["head_sha"]), payload.get("check_run_id"), str(payload.get("reason", "")),
                      float(payload.get("requested_at") or time.time()))


class PRQueue:
    def __init__(
        self, db: Database, *, create_check: Callable[[PRKey, str], Awaitable[int | None]],
        supersede: Callable[[RunRequest, str], Awaitable[None]], debounce: float = 1.0,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self._create = create_check
        self._supersede = supersede
        self.debounce = debounce
        self._wake = wake or (lambda: None)
        self.runs_started = 0

    async def latest_head(self, key: PRKey) -> str:
        async with self.db.connect() as conn:
            return await pr_state.head(conn, pr_key(key))

    async def request(self, key: PRKey, head_sha: str, reason: str) -> bool:
        """Ask for a run of `head_sha`; False when an equivalent run is already queued, running or just done."""
        ck = pr_key(key)
        force = reason in FORCE_REASONS
        async with self.db.begin() as conn:
            await locks.xact_lock(conn, f"pr-queue:{ck}")
            await pr_state.set_head(conn, ck, head_sha)
            queued = await jobs.queued_for(conn, ck)
            running = await jobs.running_for(conn, ck)
            if queued is not None and queued.payload["head_sha"] == head_sha:
                return False
            if running is not None and running.payload["head_sha"] == head_sha and not force:
                return False
            if not force and await self._recently_done(conn, ck, head_sha):
                return False
        check_run_id = await self._create(key, head_sha)
        req = RunRequest(key, head_sha, check_run_id, reason)
        older: RunRequest | None = None
        async with self.db.begin() as conn:
            await locks.xact_lock(conn, f"pr-queue:{ck}")
            latest = await pr_state.head(conn, ck)
            queued = await jobs.queued_for(conn, ck)
            if latest != head_sha:
                older = req  # a newer head arrived while we created this check run
            elif queued is not None:
                previous = request_from(queued.payload)
                if previous.check_run_id != check_run_id:
                    older = previous
                await jobs.replace_payload(conn, queued.id, request_payload(req), time.time() + self.debounce)
            else:
                await jobs.enqueue(conn, "pr_run", request_payload(req), lock_key=ck, coalesce_key=ck,
                                   delay=self.debounce)
        self._wake()
        if older is not None and older.check_run_id is not None:
            await self._supersede(older, latest)
        return True

    async def _recently_done(self, conn: Any, ck: str, head_sha: str) -> bool:
        row = (await conn.execute(select(jobs_table.c.payload).where(
            jobs_table.c.coalesce_key == ck, jobs_table.c.status == "done",
            jobs_table.c.updated > time.time() - RECENT).order_by(jobs_table.c.id.desc()).limit(1))).first()
        if row is None:
            return False
        import json

        return bool(json.loads(row[0]).get("head_sha") == head_sha)
