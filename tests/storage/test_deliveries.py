"""Delivery de-duplication is a unique key; a delivery whose job died can be redelivered."""

from __future__ import annotations

import asyncio

from asyncguard.bot.storage import Database, deliveries
from asyncguard.bot.storage.deliveries import DeliveryLog


async def _accept(db: Database, did: str) -> bool:
    async with db.begin() as conn:
        return await deliveries.accept(conn, did, "push")


async def test_first_time_then_duplicate(database_url: str) -> None:
    db = Database(database_url)
    assert await _accept(db, "d1") is True
    assert await _accept(db, "d1") is False
    assert await DeliveryLog(db).status("d1") == "queued"
    async with db.begin() as conn:
        await deliveries.finish(conn, "d1", "done")
    assert await _accept(db, "d1") is False  # done: still a duplicate
    await db.close()


async def test_a_dead_delivery_is_accepted_again(database_url: str) -> None:
    db = Database(database_url)
    await _accept(db, "d2")
    async with db.begin() as conn:
        await deliveries.finish(conn, "d2", "dead")
    assert await _accept(db, "d2") is True
    assert await DeliveryLog(db).status("d2") == "queued"
    await db.close()


async def test_rolled_back_acceptance_leaves_no_trace(database_url: str) -> None:
    """Accepted in a transaction that fails (e.g. the job insert): the redelivery is accepted."""
    db = Database(database_url)
    try:
        async with db.begin() as conn:
            assert await deliveries.accept(conn, "d3", "push")
            raise RuntimeError("enqueue failed")
    except RuntimeError:
        pass
    assert await DeliveryLog(db).status("d3") is None
    assert await _accept(db, "d3") is True
    await db.close()


async def test_concurrent_redeliveries_accept_exactly_one(database_url: str) -> None:
    dbs = [Database(database_url) for _ in range(2)]
    await dbs[0].ensure_schema()
    results = await asyncio.gather(*(_accept(dbs[i % 2], "same") for i in range(20)))
    assert sorted(results) == [False] * 19 + [True]
    for d in dbs:
        await d.close()


async def test_prune_keeps_pending_work(database_url: str) -> None:
    db = Database(database_url)
    async with db.begin() as conn:
        await deliveries.accept(conn, "old-done", "push", now=1.0)
        await deliveries.accept(conn, "old-queued", "push", now=1.0)
        await deliveries.finish(conn, "old-done", "done")
    assert await DeliveryLog(db).prune() == 1
    assert await DeliveryLog(db).status("old-queued") == "queued"
    await db.close()
