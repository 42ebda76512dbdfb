"""The in-process delivery queue and its workers: webhook requests only enqueue, workers dispatch.

Embedded default for one process; the queue interface (`put_nowait`, `join`) is what a shared
queue engine would replace when scaling out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from gidgethub import routing, sansio

from asyncguard.bot.storage import deliveries

log = logging.getLogger("asyncguard.queue")


@dataclass
class Delivery:
    event: sansio.Event
    installation_id: int | None
    received: float


class DeliveryQueue:
    INTAKE_QUIET = 0.003  # seconds without a new webhook before background work resumes
    MAX_YIELD = 0.25  # ...but never wait longer than this (sustained load must not starve workers)

    def __init__(self, router: routing.Router, ctx: Any, workers: int, maxsize: int = 10_000) -> None:
        self.router = router
        self.ctx = ctx
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(maxsize=maxsize)
        self.n_workers = workers
        self._tasks: list[asyncio.Task[None]] = []
        self.last_intake = 0.0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work(i), name=f"delivery-worker-{i}") for i in range(self.n_workers)]

    @property
    def alive(self) -> bool:
        return bool(self._tasks) and all(not t.done() for t in self._tasks)

    def put_nowait(self, delivery: Delivery) -> None:
        """Raises asyncio.QueueFull when the backlog is full."""
        self.last_intake = time.monotonic()
        self.queue.put_nowait(delivery)
        self.ctx.metrics.queue_depth.set(self.queue.qsize())

    async def join(self) -> None:
        await self.queue.join()

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except asyncio.CancelledError:
                pass
        self._tasks = []

    async def _work(self, n: int) -> None:
        while True:
            delivery = await self.queue.get()
            await self._let_intake_finish()
            self.ctx.metrics.queue_depth.set(self.queue.qsize())
            started = time.monotonic()
            outcome = "ok"
            try:
                await self.dispatch(delivery)
            except asyncio.CancelledError:
                raise
            except Exception:
                outcome = "error"
                log.exception("handling %s (delivery %s) failed", delivery.event.event, delivery.event.delivery_id)
            finally:
                try:
                    async with self.ctx.db.begin() as conn:
                        await deliveries.finish(conn, delivery.event.delivery_id, "done" if outcome == "ok" else "dead")
                except Exception:
                    log.exception("could not mark delivery %s finished", delivery.event.delivery_id)
                self.ctx.metrics.jobs.observe(time.monotonic() - started, kind=delivery.event.event, outcome=outcome)
                self.queue.task_done()

    async def _let_intake_finish(self) -> None:
        """Acks first: while a burst of webhooks is arriving, background work waits (bounded)."""
        if self.INTAKE_QUIET <= 0:
            return
        for _ in range(int(self.MAX_YIELD / self.INTAKE_QUIET)):
            quiet_for = time.monotonic() - self.last_intake
            if quiet_for >= self.INTAKE_QUIET:
                return
            await asyncio.sleep(self.INTAKE_QUIET - quiet_for)

    async def dispatch(self, delivery: Delivery) -> None:
        gh = None
        if delivery.installation_id is not None and self.ctx.github is not None:
            gh = self.ctx.github_client(delivery.installation_id)
        if gh is None and delivery.event.event not in {"ping", "installation", "installation_repositories"}:
            log.warning("%s without a usable installation: ignored", delivery.event.event)
            return
        await self.router.dispatch(
            delivery.event, gh, bot=self.ctx, governance=self.ctx.governance_context(delivery.installation_id)
        )
