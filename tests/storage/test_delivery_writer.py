"""Group commit: concurrent deliveries share transactions, each answered only once committed, on both engines."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from asyncguard.bot.storage import Database
from asyncguard.bot.storage.deliveries import DeliveryLog
from asyncguard.bot.storage.delivery_writer import Delivery, DeliveryWriter
from asyncguard.bot.storage.jobs import JobQueue
from asyncguard.bot.storage.tables import jobs


def _delivery(did: str) -> Delivery:
    return Delivery(did, "push", json.dumps({"data": {"n": did}, "delivery_id": did, "event": "push",
                                             "installation_id": 1}))


async def test_a_burst_shares_transactions_and_every_one_is_committed_once(database_url: str) -> None:
    db = Database(database_url)
    await db.ensure_schema()
    woken = []
    writer = DeliveryWriter(db, on_commit=lambda: woken.append(1))
    ids = [f"d{i}" for i in range(200)]
    results = await asyncio.gather(*(writer.submit(_delivery(d)) for d in [*ids, "d7", "d8"]))
    assert results[:200] == [True] * 200
    assert results[200:] == [False, False]  # the same id again in the same burst: a duplicate
    assert 1 <= writer.transactions < 50  # group commit: not one transaction per delivery
    assert woken
    log = DeliveryLog(db)
    assert {await log.status(d) for d in ids} == {"queued"}
    async with db.connect() as conn:
        rows = (await conn.execute(select(jobs.c.delivery_id, jobs.c.payload))).all()
    assert sorted(r[0] for r in rows) == sorted(ids)  # one job each
    assert json.loads(rows[0][1])["data"]["n"] == rows[0][0]
    assert await writer.submit(_delivery("d1")) is False  # later: still a duplicate
    await db.close()


# PostgreSQL only: SQLite does not enforce the id column's length, so it refuses nothing here
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_one_refused_delivery_does_not_sink_its_batch(database_url: str) -> None:
    db = Database(database_url)
    await db.ensure_schema()
    writer = DeliveryWriter(db)
    bad = "x" * 150  # longer than the column: PostgreSQL refuses it
    results = await asyncio.gather(*(writer.submit(_delivery(d)) for d in ["a1", bad, "a2", "a3"]),
                                   return_exceptions=True)
    assert results[0] is True and results[2] is True and results[3] is True
    assert isinstance(results[1], Exception)
    assert len(await JobQueue(db).listing()) == 3
    await db.close()


async def test_database_down_fails_every_delivery_of_the_batch_and_records_nothing() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = Database(f"postgresql+asyncpg://u:p@127.0.0.1:{port}/none")
    writer = DeliveryWriter(db)
    results = await asyncio.gather(*(writer.submit(_delivery(f"z{i}")) for i in range(5)), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results) and writer.transactions == 0
    await db.close()
