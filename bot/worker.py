"""Workers: claim jobs from the store, run them under a renewed lease, retry, dead-letter.

Runs inside `asyncguard serve` (the embedded default) or alone as `asyncguard worker`, as many
replicas as wanted. Kinds: `delivery` (a webhook, dispatched to the routers), `pr_run` (one PR run,
see `pr_queue`) and housekeeping: expired leases are reaped, and our check runs left in progress
with no live job (a worker killed before this store existed, a crash between creating the check run
and queuing its run) are resumed. Shutdown stops claiming, lets running jobs finish for a grace
period, then gives the rest back to the queue (another worker takes them at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from gidgethub import routing, sansio

from asyncguard.bot.pr_queue import request_from, request_payload
from asyncguard.bot.scheduler import PRKey
from asyncguard.bot.storage import deliveries, jobs, pr_state
from asyncguard.bot.storage.jobs import Job, JobQueue

log = logging.getLogger("asyncguard.worker")

NO_INSTALLATION_EVENTS = {"ping", "installation", "installation_repositories"}


class Worker:
    def __init__(
        self, ctx: Any, router: routing.Router, *, concurrency: int = 4, lease: float = 60.0,
        poll: float = 0.25, grace: float = 30.0, sweep_every: float = 30.0, hanging_after: float = 120.0,
        name: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.router = router
        self.queue = JobQueue(ctx.db, lease=lease, backoff_base=ctx.settings.backoff_base * 4 or 0.01)
        self.concurrency = concurrency
        self.poll = poll
        self.grace = grace
        self.sweep_every = min(sweep_every, max(1.0, lease / 2))  # a dead worker's job waits about one lease
        self.hanging_after = hanging_after
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._loops: list[asyncio.Task[None]] = []
        self._running: dict[int, asyncio.Task[None]] = {}
        self.handlers: dict[str, Callable[[Job], Awaitable[None]]] = {
            "delivery": self._delivery, "pr_run": self._pr_run,
        }
        self.processed = 0

    # ---- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        self.ctx.wake_workers = self.wake
        self._loops = [asyncio.create_task(self._loop(i), name=f"job-worker-{i}") for i in range(self.concurrency)]
        self._loops.append(asyncio.create_task(self._housekeeping(), name="job-housekeeping"))

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return bool(self._loops) and all(not t.done() for t in self._loops)

    async def close(self) -> None:
        """Stop claiming; running jobs get `grace` seconds, then are released to the queue."""
        self._stopping = True
        self._wake.set()
        running = list(self._running.values())
        if running:
            await asyncio.wait(running, timeout=self.grace)
        for t in self._loops:
            t.cancel()
        for t in self._loops:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._loops = []

    async def drain(self, within: float = 60.0) -> None:
        """Until no job is queued or running anywhere (tests)."""
        async with asyncio.timeout(within):
            while True:
                if not self._running and await self.queue.idle():
                    return
                self._wake.set()
                await asyncio.sleep(0.02)

    # ---- the claim loop ---------------------------------------------------------------
    async def _loop(self, n: int) -> None:
        while not self._stopping:
            try:
                job = await self.queue.claim(self.name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is down: wait and try again
                log.warning("worker %s could not claim a job: %s", self.name, exc.__class__.__name__)
                await asyncio.sleep(min(5.0, self.poll * 8))
                continue
            if job is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll):
                        await self._wake.wait()
                continue
            task = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
            self._running[job.id] = task
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                raise
            finally:
                self._running.pop(job.id, None)

    async def _execute(self, job: Job) -> None:
        started = time.monotonic()
        self.ctx.metrics.job_age.observe(max(0.0, time.time() - job.created), kind=job.kind)
        if job.attempts > 1:
            self.ctx.metrics.job_retries.inc(kind=job.kind)
        beat = asyncio.create_task(self._heartbeat(job))
        outcome = "ok"
        try:
            handler = self.handlers.get(job.kind)
            if handler is None:
                raise ValueError(f"no handler for job kind {job.kind!r}")
            await handler(job)
        except asyncio.CancelledError:
            outcome = "released"
            with contextlib.suppress(Exception):
                await asyncio.shield(self.queue.release(job, self.name))
            raise
        except Exception as exc:
            outcome = "error"
            log.exception("job %s (%s) failed on attempt %d", job.id, job.kind, job.attempts)
            await self._failed(job, f"{exc.__class__.__name__}: {exc}")
        else:
            await self._succeeded(job)
        finally:
            beat.cancel()
            self.processed += 1
            kind = str(job.payload.get("event", job.kind)) if job.kind == "delivery" else job.kind
            self.ctx.metrics.jobs.observe(time.monotonic() - started, kind=kind, outcome=outcome)

    async def _heartbeat(self, job: Job) -> None:
        while True:
            await asyncio.sleep(self.queue.lease / 3)
            try:
                if not await self.queue.renew(job.id, self.name):
                    log.warning("job %s: lease lost (reaped after a stall); another worker may run it", job.id)
                    return
            except Exception as exc:
                log.warning("job %s: could not renew the lease: %s", job.id, exc.__class__.__name__)

    async def _succeeded(self, job: Job) -> None:
        for delay in (0.1, 0.5, 2.0, 5.0, 10.0):
            try:
                async with self.ctx.db.begin() as conn:
                    if await self.queue.succeed(conn, job, self.name) and job.delivery_id:
                        await deliveries.finish(conn, job.delivery_id, "done")
                return
            except Exception as exc:
                log.warning("job %s: could not record success (%s); retrying", job.id, exc.__class__.__name__)
                await asyncio.sleep(delay)

    async def _failed(self, job: Job, error: str) -> None:
        try:
            status = await self.queue.fail(job, self.name, error)
        except Exception:
            log.exception("job %s: could not record the failure; its lease will expire", job.id)
            return
        if status == "dead":
            await self._dead(job, error)

    async def _dead(self, job: Job, error: str) -> None:
        """The job's last attempt failed: say so where a person will see it, and keep it listed."""
        log.error("job %s (%s) is dead after %d attempts: %s", job.id, job.kind, job.attempts, error)
        self.ctx.metrics.dead_jobs.inc(kind=job.kind)
        try:
            if job.delivery_id:
                async with self.ctx.db.begin() as conn:
                    await deliveries.finish(conn, job.delivery_id, "dead")
            if job.kind == "pr_run":
                req = request_from(job.payload)
                if req.check_run_id is not None and self.ctx.github is not None:
                    await self.ctx.give_up(req, job.attempts, error)
        except Exception:
            log.exception("job %s: could not report its failure", job.id)

    # ---- handlers -----------------------------------------------------------------------
    async def _delivery(self, job: Job) -> None:
        p = job.payload
        event = sansio.Event(p["data"], event=p["event"], delivery_id=p["delivery_id"])
        installation = p.get("installation_id")
        gh = None
        if installation is not None and self.ctx.github is not None:
            gh = self.ctx.github_client(int(installation))
        if gh is None and event.event not in NO_INSTALLATION_EVENTS:
            log.warning("%s without a usable installation: ignored", event.event)
            return
        await self.router.dispatch(event, gh, bot=self.ctx, governance=self.ctx.governance_context(installation))

    async def _pr_run(self, job: Job) -> None:
        req = request_from(job.payload)
        latest = await self.ctx.scheduler.latest_head(req.key)
        if latest and latest != req.head_sha:
            await self.ctx.supersede(req, latest)
            return
        if req.check_run_id is not None and job.attempts > 1:
            log.info("resuming the PR run for %s#%s@%s (attempt %d) on check run %s",
                     req.key.repo, req.key.number, req.head_sha[:7], job.attempts, req.check_run_id)
        await self.ctx.run(req)

    # ---- housekeeping -------------------------------------------------------------------
    async def _housekeeping(self) -> None:
        while not self._stopping:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("housekeeping failed: %s", exc.__class__.__name__)
            await asyncio.sleep(self.sweep_every)

    async def sweep(self) -> None:
        """Reap expired leases, resume hanging check runs, export queue gauges."""
        requeued, dead = await self.queue.reap()
        for job in requeued:
            log.warning("job %s (%s): its worker died; queued again (attempt %d done)", job.id, job.kind, job.attempts)
        for job in dead:
            await self._dead(job, job.last_error or "its worker stopped renewing its lease")
        if requeued:
            self._wake.set()
        await self.resume_hanging()
        counts = await self.queue.counts()
        for status in ("queued", "running", "dead"):
            self.ctx.metrics.queue_depth.set(counts.get(status, 0), status=status)
        self.ctx.metrics.oldest_job_age.set(await self.queue.oldest_queued_age())

    async def resume_hanging(self) -> int:
        """Our check runs in progress with no live job get a PR run again, on the same check run."""
        async with self.ctx.db.connect() as conn:
            rows = await pr_state.hanging(conn, self.hanging_after)
        for check_run_id, ck, head_sha in rows:
            inst, _, rest = ck.partition(":")
            repo, _, number = rest.rpartition("#")
            key = PRKey(int(inst), repo, int(number))
            from asyncguard.bot.scheduler import RunRequest

            req = RunRequest(key, head_sha, check_run_id, "resumed")
            log.warning("check run %s for %s#%s@%s was left in progress with no job: resuming it",
                        check_run_id, repo, number, head_sha[:7])
            async with self.ctx.db.begin() as conn:
                if not await pr_state.head(conn, ck):
                    await pr_state.set_head(conn, ck, head_sha)
                await pr_state.mark_check_run(conn, check_run_id)  # touched: not picked again while queued
                await jobs.enqueue(conn, "pr_run", request_payload(req), lock_key=ck, coalesce_key=ck)
        if rows:
            self._wake.set()
        return len(rows)
