"""Webhook delivery de-duplication: the `X-GitHub-Delivery` id is a unique key in the store.

A delivery is accepted in the same transaction that commits its job (see `bot.jobs.intake`), so
"seen" always means "its work is durably queued". When the job ends, the row says `done`; when it
gives up for good (`dead`), GitHub's redelivery of the same id is accepted again instead of being
answered "duplicate" for work that was never done.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from asyncguard.bot.storage import dialect
from asyncguard.bot.storage.db import Database
from asyncguard.bot.storage.tables import deliveries

KEEP_SECONDS = 14 * 24 * 3600  # GitHub redelivers for at most a few days


async def accept(conn: AsyncConnection, delivery_id: str, event: str, now: float | None = None) -> bool:
    """Record the delivery in the caller's transaction; False when it is a duplicate.

    A delivery whose job died is accepted again (it is revived to `queued`).
    """
    now = time.time() if now is None else now
    stmt = dialect.insert(conn, deliveries).values(id=delivery_id, event=event, received=now, status="queued")
    stmt = stmt.on_conflict_do_update(
        index_elements=[deliveries.c.id],
        set_={"status": "queued", "received": now, "done_at": None},
        where=deliveries.c.status == "dead",
    ).returning(deliveries.c.id)
    return (await conn.execute(stmt)).first() is not None


async def finish(conn: AsyncConnection, delivery_id: str, status: str, now: float | None = None) -> None:
    """Mark the delivery `done` or `dead`, in the transaction that ends its job."""
    if status not in {"done", "dead"}:
        raise ValueError(f"delivery status must be done or dead, not {status!r}")
    await conn.execute(
        update(deliveries).where(deliveries.c.id == delivery_id)
        .values(status=status, done_at=time.time() if now is None else now)
    )


class DeliveryLog:
    """Reads and housekeeping over the deliveries table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def status(self, delivery_id: str) -> str | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(deliveries.c.status).where(deliveries.c.id == delivery_id))).first()
        return row[0] if row else None

    async def prune(self, keep_seconds: float = KEEP_SECONDS) -> int:
        """Forget finished deliveries older than `keep_seconds` (queued ones are kept: their job is pending)."""
        async with self.db.begin() as conn:
            result = await conn.execute(
                delete(deliveries).where(deliveries.c.received < time.time() - keep_seconds,
                                         deliveries.c.status != "queued")
            )
        return int(result.rowcount or 0)
