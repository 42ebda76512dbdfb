"""Group commit for webhook deliveries: concurrent ones share one transaction, each acked after it commits.

One transaction per delivery (BEGIN, two inserts, COMMIT and its flush to disk) made the database's
round trips and the disk the ceiling of the web role. Deliveries that arrive while a transaction is
in flight wait and go together in the next one, so a burst of N costs a few transactions, not N;
a lone delivery still goes at once (there is no timer to wait for). Durability is unchanged: the
caller hears back only after the transaction holding its delivery committed, and a transaction that
fails fails every delivery in it (each is answered 503, nothing of it is recorded). One malformed
delivery must not sink its neighbours: a batch refused for its data is retried one by one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from asyncguard.bot.storage import dialect
from asyncguard.bot.storage.db import Database
from asyncguard.bot.storage.jobs import DEFAULT_MAX_ATTEMPTS
from asyncguard.bot.storage.tables import deliveries, jobs

MAX_BATCH = 500


@dataclass(frozen=True)
class Delivery:
    id: str  # X-GitHub-Delivery, the de-duplication key
    event: str
    payload_json: str  # the `delivery` job's payload, serialized once by the caller


class DeliveryWriter:
    """`await writer.submit(delivery)`: True once it is committed with its job, False for a duplicate."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH,
                 on_commit: Callable[[], None] | None = None) -> None:
        self.db = db
        self.max_batch = max_batch
        self._on_commit = on_commit or (lambda: None)
        self._pending: list[tuple[Delivery, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.transactions = 0  # committed batches (for tests and the profile)

    async def submit(self, delivery: Delivery) -> bool:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((delivery, fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="delivery-group-commit")
        # a caller that goes away (client disconnected) does not cancel the write of its neighbours
        return await asyncio.shield(fut)

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            try:
                fresh = await self._commit([d for d, _ in batch])
            except Exception as exc:
                if len(batch) == 1 or not refused_for_its_data(exc):
                    for _, fut in batch:  # the database is down or gone: every delivery of the batch gets 503
                        _settle(fut, exc)
                    continue
                for d, fut in batch:  # find the one the database refuses; the others go in alone
                    try:
                        _settle(fut, d.id in await self._commit([d]))
                    except Exception as one:
                        _settle(fut, one)
                continue
            answered: set[str] = set()
            for d, fut in batch:  # the same id twice in one batch: the first is new, the second a duplicate
                _settle(fut, d.id in fresh and d.id not in answered)
                answered.add(d.id)

    async def _commit(self, batch: list[Delivery]) -> set[str]:
        """Record the batch's new delivery ids and their jobs in one transaction; the ids that were new."""
        first: dict[str, Delivery] = {}
        for d in batch:
            first.setdefault(d.id, d)  # the same id twice in a batch: the second is a duplicate
        now = time.time()
        async with self.db.begin() as conn:
            fresh = await _accept_many(conn, list(first.values()), now)
            if fresh:
                await conn.execute(jobs.insert(), [
                    {"kind": "delivery", "payload": d.payload_json, "status": "queued", "attempts": 0,
                     "max_attempts": DEFAULT_MAX_ATTEMPTS, "run_at": now, "lock_key": None, "coalesce_key": None,
                     "delivery_id": d.id, "created": now, "updated": now}
                    for d in first.values() if d.id in fresh
                ])
        self.transactions += 1
        if fresh:
            self._on_commit()
        return fresh


async def _accept_many(conn: AsyncConnection, batch: list[Delivery], now: float) -> set[str]:
    """Insert the delivery ids (a dead one is revived to `queued`); the ids inserted or revived."""
    stmt = dialect.insert(conn, deliveries)
    stmt = stmt.on_conflict_do_update(
        index_elements=[deliveries.c.id],
        set_={"status": "queued", "received": stmt.excluded.received, "done_at": None},
        where=deliveries.c.status == "dead",
    ).returning(deliveries.c.id)
    rows = [{"id": d.id, "event": d.event, "received": now, "status": "queued"} for d in batch]
    return {r[0] for r in (await conn.execute(stmt, rows)).all()}


def refused_for_its_data(exc: BaseException) -> bool:
    """The database refused a row's content (SQLSTATE class 22 data exception, 23 integrity), not the connection."""
    if isinstance(exc, (sa_exc.IntegrityError, sa_exc.DataError)):
        return True
    orig = getattr(exc, "orig", None)
    state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    return state[:2] in {"22", "23"}


def _settle(fut: asyncio.Future[bool], outcome: bool | BaseException) -> None:
    if fut.done():
        return
    if isinstance(outcome, BaseException):
        fut.set_exception(outcome)
    else:
        fut.set_result(outcome)
